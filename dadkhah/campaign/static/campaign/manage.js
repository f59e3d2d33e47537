// The organizers' campaign form: a live word count under each text, measured against the
// word limit when the campaign is a statement; saving is held back while a text is over it.
// The server counts the same way (runs of non-space characters) and refuses too.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) {
    return;
  }
  var kind = document.getElementById("kind");
  var limitInput = document.getElementById("word_limit");
  var areas = form.querySelectorAll("textarea[data-word-count]");
  var button = form.querySelector("button[type=submit]");

  function words(text) {
    var found = text.match(/\S+/g);
    return found ? found.length : 0;
  }

  function update() {
    var statement = kind && kind.value === "statement";
    var limit = parseInt(limitInput ? limitInput.value : "", 10);
    var over = false;
    for (var i = 0; i < areas.length; i++) {
      var area = areas[i];
      var out = document.getElementById(area.getAttribute("data-word-count"));
      if (!out) {
        continue;
      }
      var n = words(area.value);
      var tooMany = statement && limit > 0 && n > limit;
      over = over || tooMany;
      out.textContent = n + (n === 1 ? " word" : " words") +
        (statement && limit > 0 ? " of at most " + limit : "") +
        (tooMany ? ": over the limit" : "");
      out.className = tooMany ? "word-count error" : "word-count";
    }
    if (button) {
      button.disabled = over;
    }
  }

  for (var j = 0; j < areas.length; j++) {
    areas[j].addEventListener("input", update);
  }
  if (kind) {
    kind.addEventListener("change", update);
  }
  if (limitInput) {
    limitInput.addEventListener("input", update);
  }
  form.addEventListener("submit", function (event) {
    update();
    if (button && button.disabled) {
      event.preventDefault();
    }
  });
  update();
})();

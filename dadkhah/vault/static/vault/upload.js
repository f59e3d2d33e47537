/* Drag-and-drop upload with per-file progress for the evidence vault.
 *
 * Progressive enhancement of the plain multipart form on /vault/upload/: without this
 * script the form posts every chosen file at once. With it, files dropped on the zone or
 * chosen with the file input are sent one by one (XMLHttpRequest, so the upload progress
 * can be shown), each with the form's other fields and its CSRF token. The server answers
 * JSON: the items it preserved, or an error.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector(".dropzone");
  var list = form.querySelector(".uploads");
  var queue = [];
  var busy = false;

  form.classList.add("js-upload");

  function sizeText(bytes) {
    var units = ["bytes", "KB", "MB", "GB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function row(file) {
    var li = element("li", "upload waiting");
    var name = element("bdi", "name", file.name);
    var size = element("span", "size note", sizeText(file.size));
    var bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var percent = element("span", "percent", "0%");
    var state = element("span", "state", "Waiting");
    var result = element("div", "result");
    li.append(name, " ", size, " ", bar, " ", percent, " ", state, result);
    list.appendChild(li);
    return { li: li, bar: bar, percent: percent, state: state, result: result };
  }

  function setProgress(view, value) {
    var whole = Math.max(0, Math.min(100, Math.round(value)));
    view.bar.value = whole;
    view.percent.textContent = whole + "%";
  }

  function finish(view, ok, message) {
    view.li.classList.remove("waiting", "sending");
    view.li.classList.add(ok ? "done" : "failed");
    view.state.textContent = message;
    busy = false;
    next();
  }

  function showItems(view, items) {
    var ul = element("ul", "received");
    items.forEach(function (item) {
      var li = element("li");
      var link = element("a", "", "");
      link.href = item.url;
      link.appendChild(element("bdi", "", item.name));
      var hash = element("code", "hash", item.sha256.slice(0, 19) + "…");
      hash.title = item.sha256;
      li.append(link, " ", hash);
      ul.appendChild(li);
    });
    view.result.appendChild(ul);
  }

  function showNotes(view, lines, className) {
    var ul = element("ul", className);
    lines.forEach(function (line) {
      ul.appendChild(element("li", "", line));
    });
    view.result.appendChild(ul);
  }

  function send(file, view) {
    var data = new FormData(form);
    data.delete("files");
    data.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable && event.total > 0) {
        setProgress(view, (100 * event.loaded) / event.total);
      }
    });
    xhr.upload.addEventListener("load", function () {
      setProgress(view, 100);
      view.state.textContent = "Hashing and preserving…";
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = null;
      }
      if (answer && answer.problems && answer.problems.length) {
        showNotes(view, answer.problems, "problems");
      }
      if (answer && answer.warnings && answer.warnings.length) {
        showNotes(view, answer.warnings, "warnings note");
      }
      if (xhr.status === 200 && answer && answer.items) {
        setProgress(view, 100);
        showItems(view, answer.items);
        var count = answer.items.length;
        finish(view, true, count === 1 ? "Preserved" : "Preserved (" + count + " items)");
      } else {
        var reason = answer && answer.error ? answer.error : "the server answered " + xhr.status;
        finish(view, false, "Not preserved: " + reason);
      }
    });
    xhr.addEventListener("error", function () {
      finish(view, false, "Not preserved: the connection failed");
    });
    xhr.addEventListener("abort", function () {
      finish(view, false, "Not preserved: cancelled");
    });
    view.li.classList.remove("waiting");
    view.li.classList.add("sending");
    view.state.textContent = "Uploading";
    xhr.send(data);
  }

  function next() {
    if (busy || queue.length === 0) {
      return;
    }
    busy = true;
    var job = queue.shift();
    send(job.file, job.view);
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      queue.push({ file: file, view: row(file) });
    });
    next();
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    zone.addEventListener(type, function () {
      zone.classList.remove("over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      add(event.dataTransfer.files);
    }
  });
  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (input.files.length) {
      add(input.files);
      input.value = "";
    }
  });
})();

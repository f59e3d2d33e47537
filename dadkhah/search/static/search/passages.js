// Selecting a passage of a page's text fills the "cite" form with the page, the character
// offsets of the selection in the page's extracted text (Page.text, counted in Unicode code
// points as the server counts them) and the exact quote. The server checks the quote again.
(function () {
  "use strict";

  function codePoints(text) {
    return Array.from(text).length;
  }

  // The offset in Page.text of a selection boundary (node, offset) inside the text box.
  // Every piece of text is in a <span data-o="START">, START being its offset in Page.text.
  function offsetOf(box, node, offset) {
    if (node === box) {
      const child = box.childNodes[offset];
      if (child && child.dataset) return Number(child.dataset.o);
      return Number(box.dataset.length);
    }
    let span = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    while (span && span !== box && !(span.dataset && "o" in span.dataset)) {
      span = span.parentElement;
    }
    if (!span || span === box) return null;
    const before = document.createRange();
    before.setStart(span, 0);
    before.setEnd(node, offset);
    return Number(span.dataset.o) + codePoints(before.toString());
  }

  function setup() {
    const box = document.getElementById("page-text");
    const form = document.querySelector("#cite form");
    if (!box) return;
    box.dataset.length = String(codePoints(box.textContent));
    const passage = document.getElementById("passage");
    if (passage) passage.scrollIntoView({ block: "center" });
    if (!form) return;
    const field = (name) => form.querySelector(`[name="${name}"]`);
    const button = document.getElementById("cite-button");
    if (!field("quote").value) button.disabled = true;

    document.addEventListener("selectionchange", function () {
      const selection = document.getSelection();
      if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
      const range = selection.getRangeAt(0);
      if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return;
      const start = offsetOf(box, range.startContainer, range.startOffset);
      const end = offsetOf(box, range.endContainer, range.endOffset);
      if (start === null || end === null || end <= start) return;
      field("page").value = box.dataset.page;
      field("start").value = String(start);
      field("end").value = String(end);
      field("quote").value = range.toString();
      button.disabled = false;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

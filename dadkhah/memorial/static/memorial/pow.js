// The contribution form's proof-of-work check (see dadkhah/core/pow.py).
// The server sends {algorithm, challenge, maxnumber, salt, signature}; this finds the
// number n with SHA-256(salt + n) == challenge, using the browser's own Web Crypto, and
// puts the answer in the hidden "pow" field. Nothing is sent to anyone else.
(function () {
  "use strict";

  var BATCH = 500; // digests started together: far faster than one await per number

  var form = document.querySelector("form[data-pow-challenge]");
  if (!form) return;
  var field = form.querySelector("input[name=pow]");
  var status = document.getElementById("pow-status");
  var lang = document.documentElement.lang || "en";
  var percent = new Intl.NumberFormat(lang, { style: "percent" });
  var solved = null; // {payload, expires}
  var running = null; // the Promise of the current search
  var submitting = false;

  function say(text) {
    if (status) status.textContent = text;
  }

  function toHex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return out;
  }

  function expiresAt(salt) {
    var match = /[?&]expires=(\d+)/.exec(salt);
    return match ? parseInt(match[1], 10) * 1000 : 0;
  }

  async function search(challenge) {
    var encoder = new TextEncoder();
    var max = challenge.maxnumber;
    var target = challenge.challenge;
    var shown = -1;
    for (var start = 0; start <= max; start += BATCH) {
      var end = Math.min(start + BATCH - 1, max);
      var work = [];
      for (var n = start; n <= end; n++) {
        work.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      var digests = await Promise.all(work);
      for (var k = 0; k < digests.length; k++) {
        if (toHex(digests[k]) === target) return start + k;
      }
      var done = Math.floor((end * 100) / max);
      if (done !== shown && done % 5 === 0) {
        shown = done;
        say(form.dataset.msgWorking.replace("{percent}", percent.format(done / 100)));
      }
    }
    return null;
  }

  async function fresh() {
    var response = await fetch(form.dataset.powUrl, {
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) throw new Error("challenge " + response.status);
    return response.json();
  }

  async function solve(challenge) {
    var started = Date.now();
    var number = await search(challenge);
    if (number === null) throw new Error("no solution");
    var payload = {
      algorithm: challenge.algorithm,
      challenge: challenge.challenge,
      number: number,
      salt: challenge.salt,
      signature: challenge.signature,
      took: Date.now() - started,
    };
    solved = { payload: btoa(JSON.stringify(payload)), expires: expiresAt(challenge.salt) };
    field.value = solved.payload;
    say(form.dataset.msgDone);
    return solved;
  }

  function start(challengePromise) {
    running = challengePromise.then(solve);
    running.catch(function () {
      running = null;
      say(form.dataset.msgFailed);
    });
    return running;
  }

  // A solution is good until a minute before its challenge expires.
  function usable() {
    return solved !== null && solved.expires - 60000 > Date.now();
  }

  if (!window.crypto || !crypto.subtle || !window.TextEncoder) {
    say(form.dataset.msgInsecure);
    return;
  }

  start(Promise.resolve(JSON.parse(form.dataset.powChallenge)));

  form.addEventListener("submit", function (event) {
    if (submitting) return;
    if (usable()) {
      field.value = solved.payload;
      return;
    }
    event.preventDefault();
    say(form.dataset.msgWait);
    if (solved !== null || running === null) {
      solved = null;
      field.value = "";
      start(fresh());
    }
    running.then(function () {
      submitting = true;
      form.submit(); // submit() does not fire "submit" again
    });
  });
})();

"use strict";
// The simulated Alexa panel: every text is set with textContent, never parsed as HTML.
(function () {
  const $ = (id) => document.getElementById(id);

  async function refreshState() {
    const params = new URLSearchParams(window.location.search);
    const outcome = params.get("linking");
    try {
      const r = await fetch("/alexa-sim/state", { credentials: "same-origin" });
      const state = await r.json();
      let text = state.linked
        ? "Linked: Alexa's requests carry an access token the backend issued to you."
        : "Not linked: Alexa will ask you to link the skill.";
      if (outcome && outcome !== "linked") {
        text += " (The last linking did not finish: " + outcome + ".)";
      }
      $("link-state").textContent = text;
      $("link").textContent = state.linked ? "Link again" : "Link Smart Licensing";
    } catch (e) {
      $("link-state").textContent = "The demo did not answer.";
    }
  }

  function ssmlToText(ssml) {
    // Alexa would speak this; the panel shows its text. DOMParser reads it as XML, not HTML.
    const doc = new DOMParser().parseFromString(ssml, "application/xml");
    return doc.documentElement ? doc.documentElement.textContent : ssml;
  }

  async function ask(intent, period) {
    $("speech").textContent = "…";
    $("card").textContent = "";
    try {
      const r = await fetch("/alexa-sim/ask", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ intent: intent, period: period || null }),
      });
      const shown = await r.json();
      $("request").textContent = JSON.stringify(shown.request, null, 2);
      $("response").textContent = JSON.stringify(shown.response, null, 2);
      $("http-status").textContent = "(HTTP " + shown.status + ")";
      const response = (shown.response && shown.response.response) || {};
      const speech = response.outputSpeech;
      $("speech").textContent = speech && speech.ssml ? ssmlToText(speech.ssml) : "(Alexa says nothing.)";
      const card = response.card;
      if (card && card.type === "LinkAccount") {
        $("card").textContent = "Card in the Alexa app: “Link your account” (use the button above).";
      } else if (card) {
        $("card").textContent = "Card in the Alexa app: " + card.title + ": " + card.content;
      }
      if (response.shouldEndSession === false) {
        $("card").textContent += " Alexa keeps listening.";
      }
    } catch (e) {
      $("speech").textContent = "The demo did not answer.";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    refreshState();
    for (const button of document.querySelectorAll("#utterances button")) {
      button.addEventListener("click", function () {
        ask(button.dataset.intent, button.dataset.period);
      });
    }
    $("period-form").addEventListener("submit", function (event) {
      event.preventDefault();
      ask("ExpiringLicensesIntent", $("period").value);
    });
    $("unlink").addEventListener("click", async function () {
      await fetch("/alexa-sim/unlink", { method: "POST", credentials: "same-origin" });
      refreshState();
    });
  });
})();

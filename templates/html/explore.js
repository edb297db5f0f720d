// The Explore part: shows one of the tables the build computed (question × breakdown × segment)
// as bars and as a table, with a CSV of the view and a link that restores it (#explore?…).
// Everything shown is in the page's data: counts, bases and shares already rounded, which shares
// are withheld, which groups are indicative, which differences are significant. The script only
// places them; numbers become text as hakusho.text.numbers writes them (86.0%, 1,234, n=257).
(function () {
  "use strict";
  var app = document.getElementById("explore-app");
  var source = document.getElementById("explore-data");
  if (!app || !source) {
    return;
  }
  var D = JSON.parse(source.textContent);
  var T = D.text;
  var form = document.getElementById("explore-controls");
  var view = document.getElementById("explore-view");
  var select = {
    question: document.getElementById("explore-question"),
    breakdown: document.getElementById("explore-breakdown"),
    choice: document.getElementById("explore-choice")
  };
  var choiceField = document.getElementById("explore-choice-field");
  var KEYS = ["question", "breakdown", "segment", "measure", "choice"];
  var LEVEL = { ok: 0, indicative: 1, suppressed: 2, empty: 3 };
  var SIG = { none: 0, same: 1, higher: 2, lower: 3, differs: 4 };
  var DASH = "\u2014";
  var LABEL_MIN = 9; // a share is written inside its segment from this many percent up

  function index(list) {
    var out = {};
    for (var i = 0; i < list.length; i++) {
      out[list[i].id] = list[i];
    }
    return out;
  }
  var questions = index(D.questions);
  var breakdowns = index(D.breakdowns);
  var segments = index(D.segments);

  // ------------------------------------------------------------------ numbers as the report prints them

  function count(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function pct(v) {
    return v.toFixed(1) + "%";
  }
  function fill(template, params) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : whole;
    });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  // ------------------------------------------------------------------ state: the controls and the fragment

  function radio(name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    return checked ? checked.value : "";
  }
  function setRadio(name, value) {
    var input = form.querySelector("input[name='" + name + "'][value='" + value + "']");
    if (input) {
      input.checked = true;
    }
  }
  function state() {
    return {
      question: select.question.value,
      breakdown: select.breakdown.value,
      segment: radio("segment"),
      measure: radio("measure"),
      choice: choiceField.hidden ? "" : select.choice.value
    };
  }
  function hashOf(s) {
    var parts = [];
    for (var i = 0; i < KEYS.length; i++) {
      if (s[KEYS[i]]) {
        parts.push(KEYS[i] + "=" + encodeURIComponent(s[KEYS[i]]));
      }
    }
    return "#explore?" + parts.join("&");
  }
  function fromHash(hash) {
    if (hash.indexOf("#explore?") !== 0) {
      return null;
    }
    var out = {};
    var pairs = hash.slice("#explore?".length).split("&");
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf("=");
      if (at > 0) {
        out[decodeURIComponent(pairs[i].slice(0, at))] = decodeURIComponent(pairs[i].slice(at + 1));
      }
    }
    return out;
  }
  function apply(s) {
    if (s.question && questions[s.question]) {
      select.question.value = s.question;
    }
    if (s.segment && segments[s.segment]) {
      setRadio("segment", s.segment);
    }
    if (s.measure) {
      setRadio("measure", s.measure);
    }
    if (s.breakdown && breakdowns[s.breakdown]) {
      select.breakdown.value = s.breakdown;
    }
    settle(s.choice);
  }

  // A breakdown is offered where it divides the segment and is not the question itself; a
  // multiple-answer question gets the choice its bars show.
  function settle(choice) {
    var s = state();
    var options = select.breakdown.options;
    var first = null;
    for (var i = 0; i < options.length; i++) {
      var allowed = (" " + options[i].getAttribute("data-segments") + " ").indexOf(" " + s.segment + " ") >= 0 &&
        options[i].value !== s.question;
      options[i].disabled = !allowed;
      if (allowed && first === null) {
        first = options[i].value;
      }
    }
    if (select.breakdown.options[select.breakdown.selectedIndex].disabled && first !== null) {
      select.breakdown.value = first;
    }
    var q = questions[s.question];
    var multi = q.answer === "multi";
    choiceField.hidden = !multi;
    if (multi) {
      var previous = choice || (select.choice.getAttribute("data-question") === q.id ? select.choice.value : "");
      select.choice.textContent = "";
      for (var j = 0; j < q.choices.length; j++) {
        if (q.in_base[j]) {
          var option = el("option", "", q.choices[j]);
          option.value = String(j);
          select.choice.appendChild(option);
        }
      }
      select.choice.setAttribute("data-question", q.id);
      var table = D.tables[s.segment + "/" + s.question + "/" + select.breakdown.value];
      select.choice.value = previous !== "" && q.in_base[+previous] ? previous : String(table.top);
    }
  }

  // ------------------------------------------------------------------ one view

  function levelText(level) {
    return level === LEVEL.indicative ? T.indicative : level === LEVEL.suppressed ? T.suppressed :
      level === LEVEL.empty ? T.empty : "";
  }
  function sigText(code) {
    return code === SIG.higher ? T.higher_long : code === SIG.lower ? T.lower_long :
      code === SIG.differs ? T.differs_long : code === SIG.same ? T.not_significant : "";
  }
  function mark(code) {
    var symbol = code === SIG.higher ? T.higher : code === SIG.lower ? T.lower : code === SIG.differs ? T.differs : "";
    if (!symbol) {
      return null;
    }
    var span = el("span", "explore-sig explore-sig-" + (code === SIG.higher ? "higher" : code === SIG.lower ? "lower" : "differs"));
    var glyph = el("span", "", symbol);
    glyph.setAttribute("aria-hidden", "true");
    span.appendChild(glyph);
    span.appendChild(el("span", "visually-hidden", " (" + sigText(code) + ")"));
    span.title = sigText(code);
    return span;
  }
  function badge(level) {
    var text = levelText(level);
    if (!text) {
      return null;
    }
    var kind = level === LEVEL.indicative ? "indicative" : level === LEVEL.suppressed ? "suppressed" : "empty";
    return el("span", "badge badge-" + kind, text);
  }

  function current() {
    var s = state();
    var q = questions[s.question];
    var b = breakdowns[s.breakdown];
    var t = D.tables[s.segment + "/" + s.question + "/" + s.breakdown];
    return { s: s, q: q, b: b, t: t, k: q.choices.length, shown: shownChoices(q, s.measure) };
  }
  function shownChoices(q, measure) {
    var out = [];
    for (var j = 0; j < q.choices.length; j++) {
      if (measure === "count" || q.in_base[j]) {
        out.push(j);
      }
    }
    return out;
  }
  function cell(v, r, j) {
    return v.t[v.s.measure === "count" ? "count" : "pct"][r * v.k + j];
  }

  function renderTable(v) {
    var table = document.getElementById("explore-table");
    var thead = table.tHead;
    var tbody = table.tBodies[0];
    thead.textContent = "";
    tbody.textContent = "";
    document.getElementById("explore-table-caption").textContent = caption(v);
    var head = el("tr");
    var th = el("th", "", v.b.label);
    th.scope = "col";
    head.appendChild(th);
    th = el("th", "", "n");
    th.scope = "col";
    head.appendChild(th);
    for (var c = 0; c < v.shown.length; c++) {
      th = el("th", "", v.q.choices[v.shown[c]]);
      th.scope = "col";
      head.appendChild(th);
    }
    thead.appendChild(head);
    for (var r = 0; r < v.b.groups.length; r++) {
      var row = el("tr", "explore-level-" + D.levels[v.t.level[r]] + (r === 0 ? " explore-total" : ""));
      row.setAttribute("data-group", v.b.groups[r]);
      var name = el("th", "", v.b.labels[r]);
      name.scope = "row";
      var tag = badge(v.t.level[r]);
      if (tag) {
        name.appendChild(document.createTextNode(" "));
        name.appendChild(tag);
      }
      if (v.q.answer === "ordinal") {
        var first = v.t.sig[r * v.k + v.q.in_base.indexOf(true)];
        var m = mark(first);
        if (m) {
          name.appendChild(document.createTextNode(" "));
          name.appendChild(m);
        }
      }
      row.appendChild(name);
      var n = el("td", "explore-n", count(v.t.n[r]));
      n.setAttribute("data-n", String(v.t.n[r]));
      row.appendChild(n);
      for (c = 0; c < v.shown.length; c++) {
        var j = v.shown[c];
        var value = cell(v, r, j);
        var td = el("td", "", value === null ? DASH : v.s.measure === "count" ? count(value) : pct(value));
        td.setAttribute("data-choice", String(j));
        if (v.q.answer !== "ordinal") {
          var sig = mark(v.t.sig[r * v.k + j]);
          if (sig) {
            td.appendChild(document.createTextNode(" "));
            td.appendChild(sig);
          }
        }
        row.appendChild(td);
      }
      tbody.appendChild(row);
    }
  }

  function caption(v) {
    return fill(T.caption, { question: v.q.label, breakdown: v.b.label, segment: segments[v.s.segment].label,
      base: D.bases[v.s.segment + "/" + v.s.question] });
  }

  function renderChart(v) {
    var chart = document.getElementById("explore-chart");
    var legend = document.getElementById("explore-legend");
    chart.textContent = "";
    legend.textContent = "";
    var multi = v.q.answer === "multi";
    var focus = multi ? +select.choice.value : -1;
    var drawn = [];
    for (var j = 0; j < v.k; j++) {
      if (v.q.in_base[j] && (!multi || j === focus)) {
        drawn.push(j);
      }
    }
    for (var d = 0; d < drawn.length; d++) {
      var item = el("li");
      var swatch = el("span", "explore-swatch");
      swatch.style.background = v.q.colors[drawn[d]];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(v.q.choices[drawn[d]]));
      legend.appendChild(item);
    }
    var counts = v.s.measure === "count";
    var widest = 1;
    if (counts) {
      for (var r0 = 0; r0 < v.t.n.length; r0++) {
        widest = Math.max(widest, v.t.n[r0]);
      }
    }
    for (var r = 0; r < v.b.groups.length; r++) {
      var row = el("div", "explore-row" + (r === 0 ? " explore-row-total" : ""));
      var label = el("div", "explore-row-label");
      label.appendChild(el("span", "explore-row-name", v.b.labels[r]));
      label.appendChild(el("span", "explore-row-n", fill(T.n, { n: count(v.t.n[r]) })));
      var tag = badge(v.t.level[r]);
      if (tag) {
        label.appendChild(tag);
      }
      row.appendChild(label);
      var bar = el("div", "explore-bar" + (multi ? " explore-bar-single" : ""));
      var withheld = !counts && v.t.pct[r * v.k + drawn[0]] === null;
      if (withheld) {
        bar.appendChild(el("span", "explore-bar-note", v.t.n[r] > 0 ? T.counts_only_bar : T.empty));
      } else {
        for (d = 0; d < drawn.length; d++) {
          var at = r * v.k + drawn[d];
          var text = counts ? count(v.t.count[at]) : pct(v.t.pct[at]);
          var part = el("span", "explore-seg");
          part.style.width = (counts ? (100 * v.t.count[at]) / widest : v.t.pct[at]) + "%";
          part.style.background = v.q.colors[drawn[d]];
          part.title = fill(T.bar_title, { group: v.b.labels[r], choice: v.q.choices[drawn[d]], value: text,
            n: count(v.t.n[r]) });
          if (!multi && !counts && v.t.pct[at] >= LABEL_MIN && v.q.inks[drawn[d]]) {
            var inside = el("span", "explore-seg-label", text);
            inside.style.color = v.q.inks[drawn[d]];
            inside.setAttribute("aria-hidden", "true");
            part.appendChild(inside);
          }
          bar.appendChild(part);
        }
        if (multi) {
          var at0 = r * v.k + drawn[0];
          bar.appendChild(el("span", "explore-bar-value", counts ? count(v.t.count[at0]) : pct(v.t.pct[at0])));
        }
      }
      row.appendChild(bar);
      chart.appendChild(row);
    }
    chart.setAttribute("aria-label", fill(multi ? T.chart_label_choice : T.chart_label, {
      question: v.q.label, breakdown: v.b.label, segment: segments[v.s.segment].label,
      choice: multi ? v.q.choices[focus] : "" }));
  }

  function renderNotes(v) {
    var notes = document.getElementById("explore-notes");
    notes.textContent = "";
    var lines = [];
    var levels = {};
    for (var r = 0; r < v.t.level.length; r++) {
      levels[v.t.level[r]] = true;
    }
    var sigs = {};
    for (var i = 0; i < v.t.sig.length; i++) {
      sigs[v.t.sig[i]] = true;
    }
    for (var n = 0; n < D.notes.length; n++) {
      var note = D.notes[n];
      var wanted = note.when === "always";
      for (var a = 0; note.levels && a < note.levels.length; a++) {
        wanted = wanted || levels[note.levels[a]] === true;
      }
      for (var b = 0; note.sigs && b < note.sigs.length; b++) {
        wanted = wanted || sigs[note.sigs[b]] === true;
      }
      if (wanted && (!note.answers || note.answers.indexOf(v.q.answer) >= 0)) {
        lines.push(note.text);
      }
    }
    for (var l = 0; l < lines.length; l++) {
      notes.appendChild(el("li", "", lines[l]));
    }
  }

  function csvField(value) {
    var text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }
  function csv(v) {
    var keys = ["segment", "question", "breakdown", "group", "n", "disclosure", "answer", "count", "share",
      "significance"];
    var lines = [keys.map(function (key) { return csvField(T["csv." + key]); }).join(",")];
    for (var r = 0; r < v.b.groups.length; r++) {
      for (var j = 0; j < v.k; j++) {
        var at = r * v.k + j;
        var share = v.t.pct[at];
        lines.push([segments[v.s.segment].label, v.q.label, v.b.label, v.b.labels[r], v.t.n[r],
          levelText(v.t.level[r]), v.q.choices[j], v.t.count[at], share === null ? "" : share.toFixed(1),
          sigText(v.t.sig[at])].map(csvField).join(","));
      }
    }
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function render(remember) {
    var v = current();
    if (!v.t) {
      return;
    }
    view.hidden = false;
    document.getElementById("explore-caption").textContent = caption(v);
    renderChart(v);
    renderTable(v);
    renderNotes(v);
    var link = document.getElementById("explore-csv");
    link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv(v));
    link.setAttribute("download", fill(T.csv_file, { question: v.s.question, breakdown: v.s.breakdown,
      segment: v.s.segment }));
    var hash = hashOf(v.s);
    document.getElementById("explore-share").href = hash;
    var other = document.getElementById("explore-lang");
    if (other) {
      other.href = other.getAttribute("data-base") + hash;
    }
    document.getElementById("explore-status").textContent = fill(T.status, { question: v.q.label,
      breakdown: v.b.label, segment: segments[v.s.segment].label, groups: count(v.b.groups.length - 1) });
    if (remember && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", hash);
    }
  }

  form.addEventListener("change", function (event) {
    settle(event.target === select.choice ? select.choice.value : "");
    render(true);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });
  window.addEventListener("hashchange", function () {
    var wanted = fromHash(window.location.hash);
    if (wanted) {
      apply(wanted);
      render(false);
    }
  });

  var initial = fromHash(window.location.hash);
  if (initial) {
    apply(initial);
  } else {
    settle("");
  }
  render(false);
  if (initial) {
    document.getElementById("explore").scrollIntoView();
  }
})();

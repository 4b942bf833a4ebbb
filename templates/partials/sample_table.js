/* The index's sample table, progressively enhanced (partials/sample_table.html inlines this file): sort buttons
   in the headers, filter chips, a search box and a count. Without it the table is complete, in report order.
   The state lives in the URL fragment so a view can be shared: #wrong&true=LABEL&pred=LABEL&q=WORDS&sort=-COLUMN
   &page=N (values URL-encoded). Rows that do not match, or that are on another page of a table longer than its
   `data-page-size`, get the `hidden` attribute. User text only ever goes through
   textContent and attributes; nothing is loaded from the network. */
(function () {
  "use strict";
  var script = document.currentScript;
  var table = script && script.parentNode && script.parentNode.querySelector('table[data-role="sample-table"]');
  var body = table && table.tBodies[0];
  if (!body || !table.tHead || typeof history === "undefined") return;

  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var columns = {};
  heads.forEach(function (th, c) {
    var key = th.getAttribute("data-col");
    if (key && key !== "evidence") columns[key] = {th: th, index: c, number: th.getAttribute("data-type") === "number"};
  });
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});

  function labelsIn(cell) {
    return cell ? Array.prototype.map.call(cell.querySelectorAll("[data-label]"), function (e) {
      return {name: e.getAttribute("data-label"), k: Number(e.getAttribute("data-k"))};
    }) : [];
  }
  function cellOf(tr, key) {
    return columns[key] ? tr.cells[columns[key].index] : null;
  }
  var rows = Array.prototype.map.call(body.rows, function (tr, position) {
    var result = cellOf(tr, "result");
    return {
      tr: tr, position: position,
      wrong: !!result && result.getAttribute("data-sort") === "0",
      judged: !!result && result.getAttribute("data-sort") !== "",
      labels: {"true": labelsIn(cellOf(tr, "true")), pred: labelsIn(cellOf(tr, "pred"))},
      haystack: ((tr.getAttribute("data-id") || "") + "\n" + (tr.getAttribute("data-text") || "")).toLowerCase()
    };
  });

  // ---- the fragment <-> the state
  function emptyState() {
    return {wrong: false, "true": null, pred: null, q: "", sort: null, page: 1};
  }
  function parse(hash) {
    var state = emptyState();
    hash.replace(/^#/, "").split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      var key = eq < 0 ? part : part.slice(0, eq);
      var value;
      try {
        value = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
      } catch (e) {
        return;  // a malformed escape: ignore that part, keep the rest
      }
      if (key === "wrong") state.wrong = true;
      else if ((key === "true" || key === "pred") && value) state[key] = value;
      else if (key === "q") state.q = value;
      else if (key === "page" && /^[0-9]+$/.test(value) && Number(value) >= 1) state.page = Number(value);
      else if (key === "sort") {
        var descending = value.charAt(0) === "-";
        var column = descending ? value.slice(1) : value;
        if (Object.prototype.hasOwnProperty.call(columns, column)) state.sort = {column: column, descending: descending};
      }
    });
    return state;
  }
  function serialise(state) {
    var parts = [];
    if (state.wrong) parts.push("wrong");
    ["true", "pred", "q"].forEach(function (key) {
      if (state[key]) parts.push(key + "=" + encodeURIComponent(state[key]));
    });
    if (state.sort) parts.push("sort=" + (state.sort.descending ? "-" : "") + state.sort.column);
    if (state.page > 1) parts.push("page=" + state.page);
    return parts.join("&");
  }
  var current = parse(location.hash);
  function change(update) {
    // a new filter, search or order starts again at the first page; only the pager moves between pages
    var next = Object.assign({}, current, {page: 1}, update);
    var fragment = serialise(next);
    try {
      history.replaceState(history.state, "", fragment ? "#" + fragment : location.pathname + location.search);
    } catch (e) {
      location.hash = fragment;
    }
    show(next);
  }

  // ---- controls (they exist only when this runs, so the page without JavaScript has no dead buttons)
  function element(tag, attributes, text) {
    var e = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { e.setAttribute(name, attributes[name]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var controls = element("div", {"class": "table-controls", role: "group", "aria-label": "Filter and search the samples"});
  var chips = [];
  function chip(group, text, pressed, toggle) {
    var button = element("button", {type: "button", "class": "chip-button", "aria-pressed": "false"}, text);
    button.addEventListener("click", function () { toggle(button.getAttribute("aria-pressed") !== "true"); });
    chips.push({button: button, pressed: pressed});
    group.appendChild(button);
  }
  function chipGroup(title) {
    var group = element("div", {"class": "chip-group", role: "group", "aria-label": title});
    group.appendChild(element("span", {"class": "chip-group-title"}, title + ":"));
    controls.appendChild(group);
    return group;
  }
  var search = element("input", {type: "search", "class": "table-search", "aria-label": "Search ids and texts",
                                 placeholder: "Search id or text", autocomplete: "off", spellcheck: "false"});
  var searchLabel = element("label", {"class": "table-search-label"});
  searchLabel.appendChild(search);
  controls.appendChild(searchLabel);
  search.addEventListener("input", function () { change({q: search.value.trim()}); });

  if (rows.some(function (r) { return r.judged; })) {
    chip(chipGroup("Show"), "wrong only", function (s) { return s.wrong; }, function (on) { change({wrong: on}); });
  }
  [["true", "True label"], ["pred", "Predicted"]].forEach(function (pair) {
    var key = pair[0], seen = {}, names = [];
    rows.forEach(function (r) {
      r.labels[key].forEach(function (l) {
        if (!Object.prototype.hasOwnProperty.call(seen, l.name)) { seen[l.name] = true; names.push(l); }
      });
    });
    if (!names.length) return;
    names.sort(function (a, b) { return (a.k - b.k) || collator.compare(a.name, b.name); });
    var group = chipGroup(pair[1]);
    names.forEach(function (l) {
      chip(group, l.name, function (s) { return s[key] === l.name; }, function (on) {
        var update = {};
        update[key] = on ? l.name : null;
        change(update);
      });
    });
  });
  var clear = element("button", {type: "button", "class": "chip-button table-clear"}, "show all");
  clear.addEventListener("click", function () { change({wrong: false, "true": null, pred: null, q: ""}); });
  controls.appendChild(clear);
  var count = element("p", {"class": "table-count", "aria-live": "polite"});
  var box = table.parentNode;  // the table's own scrolling box: the controls go above it
  box.parentNode.insertBefore(controls, box);
  box.parentNode.insertBefore(count, box);
  var pageSize = Number(table.getAttribute("data-page-size")) || 0;
  var pager = null, previous = null, following = null, where = null;
  if (pageSize && rows.length > pageSize) {
    pager = element("nav", {"class": "table-pager", "aria-label": "Pages of the table"});
    previous = element("button", {type: "button", "class": "chip-button"}, "\u2190 previous");
    following = element("button", {type: "button", "class": "chip-button"}, "next \u2192");
    where = element("span", {"class": "table-page"});
    previous.addEventListener("click", function () { change({page: current.page - 1}); });
    following.addEventListener("click", function () { change({page: current.page + 1}); });
    pager.appendChild(previous);
    pager.appendChild(where);
    pager.appendChild(following);
    box.parentNode.insertBefore(pager, box.nextSibling);
  }

  Object.keys(columns).forEach(function (key) {
    var th = columns[key].th;
    var button = element("button", {type: "button", "class": "sort-button"});
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () {
      var s = current.sort;
      // ascending, then descending, then back to report order
      change({sort: !s || s.column !== key ? {column: key, descending: false}
                                           : (s.descending ? null : {column: key, descending: true})});
    });
  });

  // ---- the view
  function sortKey(row, key) {
    var cell = cellOf(row.tr, key);
    if (!cell) return null;
    if (columns[key].number) {
      var value = parseFloat(cell.getAttribute("data-sort"));
      return isNaN(value) ? null : value;
    }
    var text = cell.textContent.trim();
    return text || null;
  }
  function matches(row, state, terms) {
    if (state.wrong && !row.wrong) return false;
    if (state["true"] && !row.labels["true"].some(function (l) { return l.name === state["true"]; })) return false;
    if (state.pred && !row.labels.pred.some(function (l) { return l.name === state.pred; })) return false;
    return terms.every(function (term) { return row.haystack.indexOf(term) >= 0; });
  }
  function show(state) {
    current = state;
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      row.match = matches(row, state, terms);
      if (row.match) shown += 1;
    });
    var order = rows.slice();
    if (state.sort) {
      var key = state.sort.column, sign = state.sort.descending ? -1 : 1;
      order.forEach(function (row) { row.key = sortKey(row, key); });
      order.sort(function (a, b) {
        if (a.key === null || b.key === null) {  // blanks last, whichever the direction
          return (a.key === null) - (b.key === null) || a.position - b.position;
        }
        var d = columns[key].number ? a.key - b.key : collator.compare(a.key, b.key);
        return d * sign || a.position - b.position;
      });
    }
    order.forEach(function (row) { body.appendChild(row.tr); });
    var pages = pager ? Math.max(1, Math.ceil(shown / pageSize)) : 1;
    current.page = state.page = Math.min(Math.max(1, state.page || 1), pages);
    var first = pager ? (state.page - 1) * pageSize : 0, last = pager ? first + pageSize : shown, k = 0;
    order.forEach(function (row) {
      row.tr.hidden = !row.match || !(k >= first && k < last);
      if (row.match) k += 1;
    });
    if (pager) {
      where.textContent = "page " + state.page + " of " + pages;
      previous.disabled = state.page <= 1;
      following.disabled = state.page >= pages;
    }
    Object.keys(columns).forEach(function (k) {
      columns[k].th.setAttribute("aria-sort", state.sort && state.sort.column === k
        ? (state.sort.descending ? "descending" : "ascending") : "none");
    });
    chips.forEach(function (c) { c.button.setAttribute("aria-pressed", c.pressed(state) ? "true" : "false"); });
    if (document.activeElement !== search) search.value = state.q;
    clear.hidden = !(state.wrong || state["true"] || state.pred || state.q);
    count.textContent = (pager && shown > pageSize
      ? (first + 1) + "\u2013" + Math.min(last, shown) + " of " + shown + " matching, " + rows.length + " documents"
      : shown + " of " + rows.length + " samples shown");
  }
  window.addEventListener("hashchange", function () { show(parse(location.hash)); });
  show(current);
})();

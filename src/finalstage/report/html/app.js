/* finalstage report page: draws the data embedded in this file, offline.
   Every value is inserted with textContent (never as markup); layout by d3-hierarchy. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data").textContent);
  var app = document.getElementById("app");
  var COLORS = {
    "compiler": "#e15759", "build-tool": "#f28e2b", "package-manager": "#edc948",
    "shell": "#bab0ac", "headers": "#ff9da7", "debug": "#9c755f", "docs": "#76b7b2",
    "cache": "#b07aa1", "source": "#d4a6c8", "tests": "#59a14f", "dev-dependency": "#8cd17d",
    "secret": "#8b0000", "runtime": "#a0cbe8", "app": "#4e79a7",
    "added": "#e15759", "grown": "#ff9da7", "shrunk": "#8cd17d", "removed": "#59a14f"
  };
  var UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

  function fmt(n, signed) {
    if (n === null || n === undefined) return "-";
    var sign = n < 0 ? "-" : (signed && n > 0 ? "+" : "");
    var v = Math.abs(n), u = 0;
    while (v >= 1000 && u < UNITS.length - 1) { v /= 1000; u += 1; }
    if (u === 0) return sign + Math.abs(n) + " B";
    var digits = v < 10 ? 2 : (v < 100 ? 1 : 0);
    var text = v.toFixed(digits);
    if (parseFloat(text) >= 1000 && u < UNITS.length - 1) { text = (v / 1000).toFixed(2); u += 1; }
    if (text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
    return sign + text + " " + UNITS[u];
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function section(title) {
    app.appendChild(el("h2", null, title));
    var box = el("div");
    app.appendChild(box);
    return box;
  }

  function cards(box, items) {
    var row = el("div", "cards");
    items.forEach(function (it) {
      var card = el("div", "card");
      card.appendChild(el("b", null, it[1]));
      card.appendChild(el("span", null, it[0]));
      row.appendChild(card);
    });
    box.appendChild(row);
  }

  /* A sortable table: columns [{key, label, num, show(row)}]. */
  function table(box, columns, rows, sortKey) {
    var t = el("table"), head = el("tr"), body = el("tbody");
    var state = { key: sortKey || null, desc: true };
    function render() {
      body.textContent = "";
      var sorted = rows.slice();
      if (state.key) {
        sorted.sort(function (a, b) {
          var x = a[state.key], y = b[state.key];
          if (x === y) return 0;
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          var c = (typeof x === "number" && typeof y === "number") ? x - y
            : String(x).localeCompare(String(y));
          return state.desc ? -c : c;
        });
      }
      sorted.forEach(function (row) {
        var tr = el("tr");
        columns.forEach(function (c) {
          var td = el("td", c.num ? "n" : null);
          var value = c.show ? c.show(row, td) : row[c.key];
          if (value !== undefined && value !== null && td.childNodes.length === 0) {
            td.textContent = String(value);
          }
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    columns.forEach(function (c) {
      var th = el("th", c.num ? "n" : null, c.label);
      th.addEventListener("click", function () {
        state.desc = state.key === c.key ? !state.desc : true;
        state.key = c.key;
        render();
      });
      head.appendChild(th);
    });
    var thead = el("thead");
    thead.appendChild(head);
    t.appendChild(thead);
    t.appendChild(body);
    box.appendChild(t);
    render();
    return t;
  }

  function legend(box, kinds, present) {
    var row = el("div", "legend");
    kinds.forEach(function (k) {
      if (present && !present[k[0]]) return;
      var item = el("span");
      var sw = el("i");
      sw.style.background = COLORS[k[0]] || "#999";
      item.appendChild(sw);
      item.appendChild(document.createTextNode(k[1]));
      row.appendChild(item);
    });
    box.appendChild(row);
  }

  /* The treemap: area is bytes, colour the kind; click a directory to zoom into it. */
  function Treemap(box, data, kinds) {
    var crumbs = el("div", "crumbs"), info = el("div"), area = el("div");
    area.id = "treemap";
    info.id = "layerinfo";
    box.appendChild(crumbs);
    var present = {};
    function mark(d) { if (d.c) d.c.forEach(mark); else present[kinds[d.k || 0][0]] = true; }
    mark(data);
    legend(box, kinds, present);
    box.appendChild(area);
    box.appendChild(info);
    var root = d3.hierarchy(data, function (d) { return d.c; })
      .sum(function (d) { return d.c ? 0 : (d.v || 0); })
      .sort(function (a, b) { return b.value - a.value; });
    var current = root, layer = null, MAXDEPTH = 4;

    function kindOf(node) {
      if (!node.children) return kinds[node.data.k || 0][0];
      if (node.mainKind === undefined) {
        var sums = {};
        node.leaves().forEach(function (l) {
          var k = kinds[l.data.k || 0][0];
          sums[k] = (sums[k] || 0) + l.value;
        });
        node.mainKind = Object.keys(sums).sort(function (a, b) { return sums[b] - sums[a]; })[0];
      }
      return node.mainKind;
    }
    function fromLayer(d) {
      if (d.y !== undefined) return d.y === layer ? (d.v || 0) : 0;
      if (d.L) {
        for (var i = 0; i < d.L.length; i += 1) if (d.L[i][0] === layer) return d.L[i][1];
      }
      return 0;
    }
    function layerBytes(node) {
      if (!node.children) return fromLayer(node.data);
      return node.leaves().reduce(function (s, l) { return s + fromLayer(l.data); }, 0);
    }
    function pathOf(node) {
      var names = node.ancestors().reverse().slice(1).map(function (n) { return n.data.n; });
      return "/" + names.join("/");
    }
    function drawCrumbs() {
      crumbs.textContent = "";
      current.ancestors().reverse().forEach(function (node, i, all) {
        var a = el(i === all.length - 1 ? "span" : "a", null, i === 0 ? "/" : node.data.n);
        if (i < all.length - 1) a.addEventListener("click", function () { current = node; draw(); });
        crumbs.appendChild(a);
        if (i > 0 && i < all.length - 1) crumbs.appendChild(document.createTextNode("/"));
      });
      crumbs.appendChild(document.createTextNode("  " + fmt(current.value)));
    }
    function box4(node) {
      var w = node.x1 - node.x0, h = node.y1 - node.y0;
      if (w < 2 || h < 2) return;
      var depth = node.depth - current.depth;
      var isOpen = node.children && depth < MAXDEPTH;
      var div = el("div", "tm " + (isOpen ? "dir" : "leaf"));
      div.style.left = node.x0 + "px";
      div.style.top = node.y0 + "px";
      div.style.width = w + "px";
      div.style.height = h + "px";
      if (!isOpen) div.style.background = COLORS[kindOf(node)] || "#999";
      var extra = node.data.f ? " (" + node.data.f + " files)" : "";
      var tip = pathOf(node) + "\n" + fmt(node.value) + extra + "\n" + kindOf(node);
      if (node.data.y !== undefined) tip += "\nlayer " + node.data.y;
      if (layer !== null) {
        var part = layerBytes(node);
        div.className += part > 0 ? " hit" : (isOpen ? "" : " dim");
        tip += "\nfrom layer " + layer + ": " + fmt(part);
      }
      div.title = tip;
      if (w > 40 && h > 12) div.textContent = node.data.n + " " + fmt(node.value);
      var target = node.children ? node : node.parent;  /* a file zooms to its directory */
      if (target && target !== current) {
        div.addEventListener("click", function (ev) { ev.stopPropagation(); current = target; draw(); });
      }
      area.appendChild(div);
      if (isOpen) node.children.forEach(box4);
    }
    function draw() {
      area.textContent = "";
      var W = area.clientWidth || 1000, H = area.clientHeight || 540;
      d3.treemap().tile(d3.treemapSquarify.ratio(1.4)).size([W, H]).round(true)
        .paddingInner(1).paddingOuter(1)
        .paddingTop(function (n) { return n.depth - current.depth < MAXDEPTH ? 15 : 0; })(current);
      if (current.children) current.children.forEach(box4); else box4(current);
      area.setAttribute("data-layer", layer === null ? "" : String(layer));
      area.setAttribute("data-root", pathOf(current));
      drawCrumbs();
      info.textContent = layer === null ? "Click a layer to see its files; click a directory to zoom."
        : "layer " + layer + ": " + fmt(layerBytes(current)) + " of the " + fmt(current.value) +
          " shown come from it";
    }
    this.setLayer = function (i) { layer = (layer === i ? null : i); draw(); return layer; };
    draw();
  }

  function layersView(box, layers, map) {
    var list = el("div", "layers");
    var max = Math.max.apply(null, layers.map(function (l) { return l.size; }).concat([1]));
    layers.forEach(function (l) {
      var row = el("div", "layer");
      row.setAttribute("data-layer", String(l.index));
      row.appendChild(el("b", null, "#" + l.index));
      var mid = el("div"), bar = el("div", "bar"), used = el("i"), waste = el("i", "w");
      used.style.width = (100 * l.visible / max) + "%";
      waste.style.left = (100 * l.visible / max) + "%";
      waste.style.width = (100 * l.wasted / max) + "%";
      bar.appendChild(used);
      bar.appendChild(waste);
      mid.appendChild(bar);
      var what = l.line ? "line " + l.line + ": " + (l.instruction || "") : (l.created_by || "");
      mid.appendChild(el("code", null, what));
      row.appendChild(mid);
      row.appendChild(el("small", null, fmt(l.size) + " tar · " + fmt(l.visible) + " visible · " +
        fmt(l.wasted) + " wasted · +" + l.added + " ~" + l.changed + " -" + l.deleted + " entries"));
      row.title = l.created_by || "";
      row.addEventListener("click", function () {
        var on = map ? map.setLayer(l.index) : null;
        Array.prototype.forEach.call(list.children, function (r) {
          r.classList.toggle("on", on !== null && r.getAttribute("data-layer") === String(on));
        });
      });
      list.appendChild(row);
    });
    box.appendChild(list);
  }

  function findingsView(box, findings) {
    if (!findings.length) { box.appendChild(el("p", null, "No findings.")); return; }
    table(box, [
      { key: "severity", label: "severity", show: function (f, td) {
        td.appendChild(el("span", "sev " + f.severity, f.severity)); } },
      { key: "rule", label: "rule", show: function (f) { return f.rule + " " + f.name; } },
      { key: "message", label: "finding", show: function (f, td) {
        td.appendChild(el("div", null, f.message));
        if (f.source) {
          var lines = f.source.split("\n").map(function (s, i) {
            return (f.line ? String(f.line + i).padStart(4) + " | " : "") + s; });
          td.appendChild(el("pre", "frame", lines.join("\n")));
        }
        if (f.paths.length) td.appendChild(el("div", null, f.paths.join("  ")));
        if (f.fix) td.appendChild(el("small", null, "fix: " + f.fix)); } },
      { key: "file", label: "where", show: function (f) {
        return f.line ? f.file + ":" + f.line : (f.layer !== null ? "layer " + f.layer : f.file); } },
      { key: "bytes", label: "would save", num: true, show: function (f) { return fmt(f.bytes); } }
    ], findings);
  }

  function packagesView(box, packages) {
    var eco = {};
    packages.forEach(function (p) {
      eco[p.ecosystem] = eco[p.ecosystem] || [0, 0];
      eco[p.ecosystem][0] += 1;
      eco[p.ecosystem][1] += p.bytes || 0;
    });
    cards(box, Object.keys(eco).sort().map(function (k) {
      return [k + ": " + eco[k][0] + " packages", fmt(eco[k][1])]; }));
    table(box, [
      { key: "ecosystem", label: "ecosystem" }, { key: "name", label: "name" },
      { key: "version", label: "version" }, { key: "license", label: "licence" },
      { key: "bytes", label: "bytes", num: true, show: function (p) { return fmt(p.bytes); } },
      { key: "layers", label: "layers", show: function (p) { return p.layers.join(","); } },
      { key: "dev", label: "dev", show: function (p) { return p.dev ? "dev" : ""; } }
    ], packages, "bytes");
  }

  function imageView(image) {
    cards(section("Image"), [
      ["uncompressed", fmt(image.size)], ["compressed", fmt(image.compressed)],
      ["files", image.files + " (" + fmt(image.files_size) + ")"], ["wasted", fmt(image.waste)],
      ["layers", String(image.layers.length)], ["user", image.user || "root (unset)"]]);
    var map = null;
    if (image.treemap) map = new Treemap(section("Filesystem"), image.treemap, DATA.kinds);
    layersView(section("Layers"), image.layers, map);
    return map;
  }

  function diffView(d) {
    var rows = [["uncompressed", "size"], ["compressed", "compressed"],
                ["filesystem", "files_size"], ["files", "files"], ["layers", "layers"]];
    table(section("A → B"), [
      { key: "what", label: "" }, { key: "a", label: "A", num: true },
      { key: "b", label: "B", num: true }, { key: "delta", label: "Δ", num: true }
    ], rows.map(function (r) {
      var x = d.a[r[1]], y = d.b[r[1]], bytes = r[1] !== "files" && r[1] !== "layers";
      return { what: r[0], a: bytes ? fmt(x) : x, b: bytes ? fmt(y) : y,
               delta: bytes ? fmt(y - x, true) : (y - x >= 0 ? "+" : "") + (y - x) };
    }));
    app.appendChild(el("p", null, "A: " + d.a.reference + " · B: " + d.b.reference + " · " +
      "layers shared with A: " + d.reuse.shared + ", not read for B: " + d.reuse.skipped));
    new Treemap(section("Changed paths (area: bytes changed)"), d.treemap, DATA.kinds);
    table(section("By kind"), [
      { key: "label", label: "kind" },
      { key: "before", label: "A", num: true, show: function (k) { return fmt(k.before); } },
      { key: "after", label: "B", num: true, show: function (k) { return fmt(k.after); } },
      { key: "delta", label: "Δ", num: true, show: function (k) { return fmt(k.delta, true); } }
    ], d.kinds.map(function (k) { k.delta = k.after - k.before; return k; }), "delta");
    table(section("By directory"), [{ key: "path", label: "directory" },
      { key: "delta", label: "Δ", num: true, show: function (r) { return fmt(r.delta, true); } }
    ], d.directories);
    table(section("Packages"), [
      { key: "status", label: "" }, { key: "ecosystem", label: "ecosystem" },
      { key: "name", label: "name" }, { key: "before", label: "A" }, { key: "after", label: "B" },
      { key: "delta", label: "Δ", num: true, show: function (p) { return fmt(p.delta, true); } }
    ], d.packages.map(function (p) { p.delta = p.bytes_after - p.bytes_before; return p; }));
    findingsView(section("New findings"), d.new_findings);
    findingsView(section("Resolved findings"), d.resolved_findings);
  }

  document.getElementById("subtitle").textContent = "finalstage " + DATA.command + " · " +
    DATA.targets.join(" → ") + (DATA.failed && DATA.command !== "inspect" ? " · FAILED" : "");
  if (DATA.diff) diffView(DATA.diff);
  if (DATA.image) imageView(DATA.image);
  if (DATA.verdicts && DATA.verdicts.length) {
    table(section("Policy"), [{ key: "key", label: "key" },
      { key: "status", label: "status", show: function (v, td) {
        td.appendChild(el("span", v.status, v.status)); } },
      { key: "detail", label: "detail" }], DATA.verdicts);
  }
  if (DATA.tests && DATA.tests.length) {
    table(section("Structure tests"), [{ key: "name", label: "test" },
      { key: "status", label: "status" },
      { key: "errors", label: "errors", show: function (t) { return t.errors.join("; "); } }],
      DATA.tests);
  }
  if (!DATA.diff || DATA.findings.length) findingsView(section("Findings"), DATA.findings);
  if (DATA.image && DATA.image.packages.length) packagesView(section("Packages"), DATA.image.packages);
  document.body.setAttribute("data-ready", "1");
}());

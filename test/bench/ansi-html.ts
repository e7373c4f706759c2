/**
 * Terminal text with ANSI SGR colours (as `tmux capture-pane -e` prints it) turned into an HTML page
 * that looks like a dark terminal, so a live-view capture can be screenshot for the README.
 */

const COLORS = [
  "#1e1e1e",
  "#f14c4c",
  "#23d18b",
  "#f5f543",
  "#3b8eea",
  "#d670d6",
  "#29b8db",
  "#e5e5e5",
  "#666666",
  "#f14c4c",
  "#23d18b",
  "#f5f543",
  "#3b8eea",
  "#d670d6",
  "#29b8db",
  "#ffffff",
];

interface Style {
  bold: boolean;
  dim: boolean;
  fg: string | undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function xterm256(index: number): string {
  if (index < 16) return COLORS[index] ?? "#e5e5e5";
  if (index >= 232) {
    const level = 8 + (index - 232) * 10;
    return `rgb(${level},${level},${level})`;
  }
  const n = index - 16;
  const scale = (value: number) => (value === 0 ? 0 : 55 + value * 40);
  return `rgb(${scale(Math.floor(n / 36))},${scale(Math.floor(n / 6) % 6)},${scale(n % 6)})`;
}

function apply(style: Style, codes: number[]): void {
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) Object.assign(style, { bold: false, dim: false, fg: undefined });
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 22) Object.assign(style, { bold: false, dim: false });
    else if (code >= 30 && code <= 37) style.fg = COLORS[code - 30];
    else if (code >= 90 && code <= 97) style.fg = COLORS[code - 90 + 8];
    else if (code === 39) style.fg = undefined;
    else if (code === 38 && codes[i + 1] === 5) {
      style.fg = xterm256(codes[i + 2] ?? 7);
      i += 2;
    } else if (code === 38 && codes[i + 1] === 2) {
      style.fg = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`;
      i += 4;
    }
  }
}

/** The text as `<span>`s with inline colours; other escape sequences are dropped. */
export function ansiToHtml(text: string): string {
  const style: Style = { bold: false, dim: false, fg: undefined };
  let html = "";
  // ESC [ params letter: built from a string so the regex holds no literal control character.
  const pattern = new RegExp(`${String.fromCharCode(27)}\\[([0-9;]*)([A-Za-z])`, "g");
  let last = 0;
  const emit = (chunk: string) => {
    if (!chunk) return;
    const css = [
      style.fg ? `color:${style.fg}` : "",
      style.bold ? "font-weight:700" : "",
      style.dim ? "opacity:0.6" : "",
    ].filter(Boolean);
    html += css.length > 0 ? `<span style="${css.join(";")}">${escapeHtml(chunk)}</span>` : escapeHtml(chunk);
  };
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    emit(text.slice(last, match.index));
    last = pattern.lastIndex;
    if (match[2] === "m") apply(style, (match[1] || "0").split(";").map(Number));
  }
  emit(text.slice(last));
  return html;
}

/** A page framing the capture like a terminal window. */
export function terminalPage(ansi: string, title: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #0b0f14; padding: 24px; }
.window { display: inline-block; background: #161b22; border-radius: 10px; box-shadow: 0 10px 30px #0008; overflow: hidden; }
.bar { background: #21262d; padding: 8px 12px; color: #8b949e; font: 12px system-ui, sans-serif; }
.bar i { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px; vertical-align: -1px; }
pre { margin: 0; padding: 14px 18px; color: #e5e5e5; font: 14px/1.2 "DejaVu Sans Mono", "Liberation Mono", monospace; }
</style></head><body><div class="window"><div class="bar"><i style="background:#ff5f56"></i><i style="background:#ffbd2e"></i><i style="background:#27c93f"></i> ${escapeHtml(title)}</div><pre>${ansiToHtml(ansi)}</pre></div></body></html>`;
}

import "@testing-library/jest-dom/vitest";
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => cleanup());

// jsdom has no layout: every box is 0×0, so a virtualised table would show no row. Here an
// element is as large as its inline style says (the tables' scroll boxes and their tables set
// their heights inline), and its content as tall as its tallest child: that is all the
// virtualiser reads (`clientHeight`/`clientWidth`, `scrollHeight`, as its docs suggest mocking).
function inlinePx(el: HTMLElement, prop: "height" | "width"): number {
  const v = parseFloat(el.style[prop]);
  return Number.isFinite(v) ? v : 0;
}
Object.defineProperty(HTMLElement.prototype, "clientHeight", {
  configurable: true,
  get(this: HTMLElement) {
    return inlinePx(this, "height");
  },
});
Object.defineProperty(HTMLElement.prototype, "clientWidth", {
  configurable: true,
  get(this: HTMLElement) {
    return inlinePx(this, "width") || 1000;
  },
});
Object.defineProperty(HTMLElement.prototype, "offsetHeight", {
  configurable: true,
  get(this: HTMLElement) {
    return inlinePx(this, "height");
  },
});

function contentHeight(el: Element): number {
  let h = el instanceof HTMLElement ? inlinePx(el, "height") : 0;
  for (const child of Array.from(el.children)) h = Math.max(h, contentHeight(child));
  return h;
}
Object.defineProperty(HTMLElement.prototype, "scrollHeight", {
  configurable: true,
  get(this: HTMLElement) {
    return contentHeight(this);
  },
});

// jsdom has no Element.scrollTo: moving the scroll position is setting scrollTop and telling
// the listeners, as a browser does.
Element.prototype.scrollTo = function scrollTo(this: Element, a?: ScrollToOptions | number, b?: number) {
  const top = typeof a === "number" ? b : a?.top;
  if (typeof top === "number") this.scrollTop = Math.max(0, top);
  this.dispatchEvent(new Event("scroll"));
};

// jsdom draws nothing on a canvas (and says so on the console): a context is null, as in a
// browser without canvas support. The charts then show their figures as text only.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return null;
} as typeof HTMLCanvasElement.prototype.getContext;

// jsdom has no matchMedia (uPlot asks it, at load, whether the pixel ratio changes): nothing
// ever matches here.
if (typeof window.matchMedia !== "function") {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

// Building the page without a framework: elements with attributes and children in one call.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

// A message region the page fills when something goes wrong (and empties when it is fixed); screen readers say it.
export function messageBox(): { element: HTMLElement; show(text: string, kind?: 'error' | 'note'): void; clear(): void } {
  const element = h('p', { class: 'message', role: 'alert', hidden: true });
  return {
    element,
    show(text, kind = 'error') {
      element.textContent = text;
      element.className = `message ${kind}`;
      element.hidden = false;
    },
    clear() {
      element.textContent = '';
      element.hidden = true;
    },
  };
}

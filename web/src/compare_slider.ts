// Before and after of one frame on top of each other, split where the slider is (keyboard: the arrow keys).

import { h } from './dom';

export function compareSlider(before: string, after: string, label: string): HTMLElement {
  const top = h('img', { src: before, alt: `${label} before`, class: 'compare-before' });
  const slider = h('input', { type: 'range', min: 0, max: 100, value: 50, 'aria-label': `${label}: before and after` });
  const split = () => {
    top.style.clipPath = `inset(0 ${100 - Number(slider.value)}% 0 0)`;
  };
  slider.addEventListener('input', split);
  split();
  return h('figure', { class: 'compare' },
    h('div', { class: 'compare-images' }, h('img', { src: after, alt: `${label} after` }), top),
    slider, h('figcaption', { class: 'muted' }, 'Left: the frame as it was · right: swapped'));
}

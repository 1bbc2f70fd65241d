// A drop target for files that is also a keyboard-reachable button opening the file chooser.

import { h } from './dom';

export function dropzone(label: string, accept: string, multiple: boolean, onFiles: (files: File[]) => void): HTMLElement {
  const input = h('input', { type: 'file', accept, multiple, class: 'visually-hidden', tabindex: -1, 'aria-hidden': 'true' });
  const zone = h('div', { class: 'dropzone', role: 'button', tabindex: 0, 'aria-label': label },
    h('strong', {}, label), h('span', { class: 'muted' }, 'Drop files here, or press to choose'), input);
  const take = (list: FileList | null) => {
    if (list && list.length) onFiles(Array.from(list));
  };
  input.addEventListener('change', () => {
    take(input.files);
    input.value = '';
  });
  zone.addEventListener('click', (e) => {
    if (e.target !== input) input.click();
  });
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    take(e.dataTransfer?.files ?? null);
  });
  return zone;
}

export function sizeText(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

// The faces extraction found, as a grid of crops with their detection scores.

import { Dataset } from './api';
import { h } from './dom';

export function faceGrid(dataset: Dataset, caption: string): HTMLElement {
  return h('figure', { class: 'faces' },
    h('figcaption', {}, caption),
    h('ul', { class: 'face-grid' },
      ...dataset.faces.map((face) =>
        h('li', { class: face.outlier ? 'outlier' : '' },
          h('img', { src: face.image, alt: `Face from ${face.source}, frame ${face.frame}`, loading: 'lazy' }),
          h('span', { class: 'score' }, `${Math.round(100 * face.score)}%${face.outlier ? ' · unlike the others' : ''}`)),
      )));
}

export function facesFound(count: number, what: string): string {
  return `${count} ${what}${count === 1 ? '' : 's'} found`;
}

// The faces extraction found, as a grid of crops with their detection scores; each face may carry actions (drop a
// bad source face, paint a target face's mask).

import { Dataset, Face } from './api';
import { h } from './dom';

export interface FaceAction {
  label: string;  // the button's text
  run: (face: Face) => void;
}

export function faceGrid(dataset: Dataset, caption: string, actions: FaceAction[] = []): HTMLElement {
  return h('figure', { class: 'faces' },
    h('figcaption', {}, caption),
    h('ul', { class: 'face-grid' },
      ...dataset.faces.map((face) =>
        h('li', { class: face.outlier ? 'outlier' : '' },
          h('img', { src: face.image, alt: `Face from ${face.source}, frame ${face.frame}`, loading: 'lazy' }),
          h('span', { class: 'score' }, `${Math.round(100 * face.score)}%${face.outlier ? ' · unlike the others' : ''}` +
            (face.mask_origin === 'painted' ? ' · painted' : '')),
          ...actions.map((action) => h('button', { type: 'button', class: 'small quiet',
            'aria-label': `${action.label}: ${face.id}`, onclick: () => action.run(face) }, action.label))),
      )));
}

export function facesFound(count: number, what: string): string {
  return `${count} ${what}${count === 1 ? '' : 's'} found`;
}

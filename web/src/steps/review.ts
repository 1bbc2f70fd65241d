// Step 5: what the QA scan found — the summary, each flagged frame with its reasons and before/after, and the
// final video to accept.

import { get } from '../api';
import { Step, WizardContext } from '../context';
import { h } from '../dom';

interface ReviewFrame {
  frame: number;
  status: string;
  reasons: string[];
  before: { confidence: number; similarity: number | null };
  after: { confidence: number; similarity: number | null } | null;
  chosen: string | null;
  thumbnails?: { before: string; after: string };
}

interface ReviewReport {
  summary: string;
  flagged: number;
  repaired: number;
  frames: ReviewFrame[];
}

const kReasons: Record<string, string> = {
  no_face: 'no face found',
  low_confidence: 'face barely detected',
  low_similarity: 'does not look like the source',
  jump: 'the face jumps',
  requested: 'picked by you',
};

export class ReviewStep implements Step {
  readonly title = 'Review';
  readonly element: HTMLElement;
  private readonly body = h('div');

  constructor(private readonly context: WizardContext) {
    this.element = h('section', {}, h('h2', {}, 'Review the result'), this.body);
  }

  missing(): string | null {
    return null;
  }

  async shown(): Promise<void> {
    const outputs = this.context.project?.outputs;
    if (!outputs?.review_report || !outputs.final) {
      this.body.replaceChildren(h('p', {}, 'Swap the faces first: the review runs right after.'));
      return;
    }
    const report = await get<ReviewReport>(outputs.review_report);
    const folder = outputs.review_report.slice(0, outputs.review_report.lastIndexOf('/') + 1);
    const flagged = report.frames.filter((f) => f.status !== 'passed');
    const percent = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${Math.round(100 * x)}%`);
    this.body.replaceChildren(
      h('p', { class: 'summary' }, report.summary),
      flagged.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'flagged' },
            h('thead', {}, h('tr', {}, ...['Frame', 'Why', 'Result', 'Before', 'After'].map((t) => h('th', {}, t)))),
            h('tbody', {}, ...flagged.map((f) => h('tr', {},
              h('td', {}, String(f.frame)),
              h('td', {}, f.reasons.map((r) => kReasons[r] ?? r).join(', ')),
              h('td', {}, `${f.status}${f.chosen ? ` (${f.chosen})` : ''}`),
              h('td', {}, f.thumbnails ? h('img', { src: folder + f.thumbnails.before, alt: `Frame ${f.frame} before` }) : '',
                h('span', { class: 'muted' }, ` similarity ${percent(f.before.similarity)}`)),
              h('td', {}, f.thumbnails ? h('img', { src: folder + f.thumbnails.after, alt: `Frame ${f.frame} after` }) : '',
                h('span', { class: 'muted' }, ` similarity ${percent(f.after?.similarity)}`)))))))
        : h('p', {}, 'No frame was flagged.'),
      h('div', { class: 'row' },
        h('a', { href: `${outputs.final}?download=1`, download: 'final.mp4', class: 'button primary' }, 'Accept and download')));
  }
}

// Step 4: the swap, run to the end (swap, then review and repair of weak frames), and the finished video.

import { Project, errorText, post, projectPath } from '../api';
import { Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { engineSelect } from '../engine_select';
import { JobView } from '../job_view';
import { compareSlider } from '../compare_slider';

export class SwapStep implements Step {
  readonly title = 'Swap';
  readonly element: HTMLElement;
  private readonly message = messageBox();
  private readonly job: JobView;
  private readonly start = h('button', { type: 'button', class: 'primary' }, 'Swap faces');
  private readonly result = h('div', { class: 'result' });
  private readonly frame = h('input', { id: 'preview-frame', type: 'number', min: 0, value: 0 });
  private readonly preview = h('div', { class: 'preview' });

  constructor(private readonly context: WizardContext) {
    this.job = new JobView(() => context.choices.project, () => this.finished());
    this.start.addEventListener('click', () => this.swap());
    this.element = h('section', {},
      h('h2', {}, 'Swap the face into the video'),
      h('p', {}, 'Every frame gets the source face; then each frame is checked and weak ones are repaired.'),
      engineSelect(context, 'swap-engine'),
      h('div', { class: 'row' }, h('label', { for: 'preview-frame' }, 'Try one frame first'), this.frame,
        h('button', { type: 'button', onclick: () => this.previewFrame() }, 'Preview')),
      this.preview,
      this.message.element, h('div', { class: 'row' }, this.start), this.job.element, this.result);
  }

  shown(): void {
    const job = this.context.lastJob('');
    if (job) this.job.follow(job);
    this.render();
  }

  left(): void {
    this.job.stop();
  }

  missing(): string | null {
    const job = this.context.lastJob('');
    if (job?.state === 'failed') return job.error;
    return this.context.project?.outputs.final && job?.state === 'done' ? null : 'Swap the faces first.';
  }

  private async swap(): Promise<void> {
    this.message.clear();
    try {
      this.job.follow(await this.context.submit(this.context.jobRequest('')));
    } catch (error) {
      this.message.show(errorText(error));
    }
  }

  private async previewFrame(): Promise<void> {
    this.message.clear();
    const frame = Number(this.frame.value);
    this.preview.replaceChildren(h('p', { class: 'muted' }, `Swapping frame ${frame}…`));
    try {
      const project = this.context.project as Project;
      const { preset, settings } = this.context.jobRequest('');
      const shown = await post<{ before: string; after: string }>(`${projectPath(project.name)}/preview`,
        { frame, preset, settings });
      this.preview.replaceChildren(compareSlider(shown.before, shown.after, `Frame ${frame}`));
    } catch (error) {
      this.preview.replaceChildren();
      this.message.show(errorText(error));
    }
  }

  private async finished(): Promise<void> {
    await this.context.refresh();
    this.render();
    this.context.onChange();
  }

  private render(): void {
    const final = this.context.project?.outputs.final;
    const job = this.context.lastJob('');
    this.result.replaceChildren(final && job?.state === 'done'
      ? h('div', {},
          h('video', { id: 'final-video', src: final, controls: true, preload: 'metadata', playsinline: true }),
          h('p', {}, h('a', { href: `${final}?download=1`, download: `${this.context.choices.project}.mp4`, class: 'button' }, 'Download the video')))
      : '');
  }
}

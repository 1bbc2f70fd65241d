// Step 2: the target video, then the faces of both sides found (an extraction job) and shown with their scores.

import { Face, People, Project, Settings, errorText, post, projectPath, remove, upload } from '../api';
import { Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { dropzone, sizeText } from '../dropzone';
import { faceGrid, facesFound } from '../face_grid';
import { JobView } from '../job_view';
import { MaskPainter } from '../mask_painter';

export class TargetStep implements Step {
  readonly title = 'Target';
  readonly element: HTMLElement;
  private readonly current = h('div');
  private readonly message = messageBox();
  private readonly find = h('button', { type: 'button', class: 'primary' }, 'Find faces');
  private readonly retime = h('button', { type: 'button', class: 'primary' }, 'Make the frame rate constant');
  private readonly job: JobView;
  private readonly faces = h('div');
  private readonly painter: MaskPainter;

  constructor(private readonly context: WizardContext) {
    this.job = new JobView(() => context.choices.project, () => this.finished());
    this.painter = new MaskPainter(
      (face) => `${projectPath(context.choices.project)}/faces/target/${face.id}/mask`,
      (project) => {
        this.context.setProject(project);
        this.render();
      });
    this.find.addEventListener('click', () => this.extract());
    this.retime.addEventListener('click', () => this.makeConstant());
    this.element = h('section', {},
      h('h2', {}, 'Which video should get the new face?'),
      h('p', {}, 'Upload the target video. WatserFace finds the people in it and replaces the one you choose ' +
        '(at first, the one on screen most), following them through every cut.'),
      dropzone('Choose the target video', 'video/*,image/*', false, (files) => this.add(files)),
      this.message.element, this.current, h('div', { class: 'row' }, this.find), this.job.element, this.faces,
      this.painter.element);
  }

  shown(): void {
    this.render();
    const job = this.context.lastJob('extract');
    if (job && (job.state === 'queued' || job.state === 'running')) this.job.follow(job);
  }

  left(): void {
    this.job.stop();
  }

  missing(): string | null {
    const project = this.context.project;
    if (!project?.target.media) return 'Upload the target video.';
    const job = this.context.lastJob('extract');
    if (job?.state === 'failed') return job.error;
    if (!project.target.dataset?.finished || !project.source.dataset?.finished) return 'Press "Find faces" first.';
    return null;
  }

  private async add(files: File[]): Promise<void> {
    this.message.clear();
    const file = files[0];
    if (files.length > 1) return this.message.show('Choose one target video.');
    if (file.size > this.context.health.max_upload_bytes) {
      return this.message.show(`'${file.name}' is ${sizeText(file.size)}, over the upload limit of ` +
        `${sizeText(this.context.health.max_upload_bytes)} — cut it shorter, or raise max_upload_mb in the settings file.`);
    }
    this.current.replaceChildren(h('p', { class: 'muted' }, `Uploading ${file.name}…`));
    try {
      this.context.setProject(await upload((this.context.project as Project).name, 'target', [file]));
    } catch (error) {
      this.message.show(errorText(error));
    }
    this.render();
  }

  // Only when the user agrees: the video is re-timed (every frame kept) in place of the upload.
  private async makeConstant(): Promise<void> {
    this.message.clear();
    this.retime.disabled = true;
    this.current.replaceChildren(h('p', { class: 'muted' }, 'Making the frame rate constant…'));
    try {
      this.context.setProject(await post<Project>(`${projectPath(this.context.choices.project)}/media/target/constant-rate`, {}));
    } catch (error) {
      this.message.show(errorText(error));
    }
    this.retime.disabled = false;
    this.render();
  }

  private async extract(): Promise<void> {
    this.message.clear();
    try {
      this.job.follow(await this.context.submit(this.context.jobRequest('extract')));
    } catch (error) {
      this.message.show(errorText(error));
    }
  }

  private async finished(): Promise<void> {
    await this.context.refresh();
    const job = this.context.lastJob('extract');
    if (job?.state === 'failed') this.message.show(job.error);
    this.render();
  }

  // Another person chosen: kept with the user's settings, so every later job extracts the same one, and the target
  // extracted again for them.
  private async choose(person: number): Promise<void> {
    const overrides = this.context.choices.overrides;
    overrides.extract = { ...((overrides.extract as Settings | undefined) ?? {}), person };
    this.context.save();
    await this.extract();
  }

  private peoplePicker(people: People): HTMLElement {
    return h('figure', { class: 'faces people' },
      h('figcaption', {}, `${people.people.length} ${people.people.length === 1 ? 'person' : 'people'} in the video — ` +
        'whose face should be replaced?'),
      h('ul', { class: 'face-grid' },
        ...people.people.map((p) => {
          const chosen = p.person === people.chosen;
          return h('li', { class: chosen ? 'chosen' : '' },
            h('img', { src: p.thumbnail, alt: `Person ${p.person}`, loading: 'lazy' }),
            h('span', { class: 'score' }, `Person ${p.person} · ${p.seconds.toFixed(1)} s`),
            chosen
              ? h('span', { class: 'score' }, 'Replaced')
              : h('button', { type: 'button', class: 'small', 'aria-label': `Replace person ${p.person}`,
                onclick: () => this.choose(p.person) }, 'Replace'));
        })));
  }

  private async drop(face: Face): Promise<void> {
    this.message.clear();
    try {
      this.context.setProject(await remove<Project>(`${projectPath(this.context.choices.project)}/faces/source/${face.id}`));
    } catch (error) {
      this.message.show(errorText(error));
    }
    this.render();
  }

  private render(): void {
    const project = this.context.project;
    const target = project?.target;
    this.current.replaceChildren(target?.media
      ? h('p', {}, `Target: ${target.media.name} · ${sizeText(target.media.bytes)}`)
      : h('p', { class: 'muted' }, 'No target video yet.'));
    const variable = target?.timing?.variable === true;
    if (variable) {
      this.current.append(h('p', { class: 'message note' }, `${target?.timing?.message} WatserFace can re-time it: every ` +
        'frame is kept, evenly spaced over the same length, and the sound is kept.'), h('div', { class: 'row' }, this.retime));
    }
    this.find.hidden = !target?.media || variable;
    const grids: HTMLElement[] = [];
    const source = project?.source.dataset;
    if (source?.faces.length) {
      grids.push(faceGrid(source, facesFound(source.count, 'source face'), [{ label: 'Drop', run: (f) => this.drop(f) }]));
    }
    if (target?.people?.people.length) grids.push(this.peoplePicker(target.people));
    if (target?.dataset?.faces.length) {
      grids.push(faceGrid(target.dataset, `Person ${target.people?.chosen ?? 1} in ${target.dataset.count} frames` +
        (target.dataset.skipped ? ` (${target.dataset.skipped} frames without them)` : ''),
        [{ label: 'Paint mask', run: (f) => this.painter.open(f) }]));
    }
    this.faces.replaceChildren(...grids);
    this.context.onChange();
  }
}

// Step 1: the photos or clips of the source face, uploaded into a project (created with the name given).

import { Project, errorText, projectPath, remove, upload } from '../api';
import { Step, WizardContext } from '../context';
import { h, messageBox } from '../dom';
import { dropzone, sizeText } from '../dropzone';
import { faceGrid, facesFound } from '../face_grid';

export class SourceStep implements Step {
  readonly title = 'Source';
  readonly element: HTMLElement;
  private readonly name = h('input', { id: 'project-name', type: 'text', value: 'my-first-swap', autocomplete: 'off',
    pattern: '[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,63}' });
  private readonly files = h('ul', { class: 'files', 'aria-label': 'Source files' });
  private readonly faces = h('div');
  private readonly message = messageBox();
  private readonly busy = h('p', { class: 'muted', hidden: true }, 'Uploading…');

  constructor(private readonly context: WizardContext) {
    this.element = h('section', {},
      h('h2', {}, 'Who should appear in the video?'),
      h('p', {}, 'Add a few clear photos (or a short clip) of the source face: front-facing, well lit, one person.'),
      h('label', { for: 'project-name' }, 'Project name'), this.name,
      dropzone('Add source photos or clips', 'image/*,video/*', true, (files) => this.add(files)),
      this.busy, this.message.element, this.files, this.faces);
  }

  shown(): void {
    const project = this.context.project;
    if (project) {
      this.name.value = project.name;
      this.name.disabled = true;
    }
    this.render();
  }

  missing(): string | null {
    return this.context.project?.source.media.length ? null : 'Add at least one photo of the source face.';
  }

  private async add(files: File[]): Promise<void> {
    this.message.clear();
    const tooBig = files.find((f) => f.size > this.context.health.max_upload_bytes);
    if (tooBig) {
      this.message.show(`'${tooBig.name}' is ${sizeText(tooBig.size)}, over the upload limit of ` +
        `${sizeText(this.context.health.max_upload_bytes)} — choose a smaller file, or raise max_upload_mb in the settings file.`);
      return;
    }
    this.busy.hidden = false;
    try {
      if (!this.context.project) await this.context.create(this.name.value.trim());
      const project = this.context.project as Project;
      this.context.setProject(await upload(project.name, 'source', files));
    } catch (error) {
      this.message.show(errorText(error));
    } finally {
      this.busy.hidden = true;
      this.shown();
    }
  }

  private render(): void {
    const project = this.context.project;
    this.files.replaceChildren(...(project?.source.media ?? []).map((file) =>
      h('li', {}, `${file.name} · ${sizeText(file.bytes)} `,
        h('button', { type: 'button', class: 'quiet', 'aria-label': `Remove ${file.name}`, onclick: async () => {
          try {
            this.context.setProject(await remove<Project>(`${projectPath(project!.name)}/media/source/${file.name}`));
          } catch (error) {
            this.message.show(errorText(error));
          }
          this.render();
        } }, 'Remove'))));
    const dataset = project?.source.dataset;
    this.faces.replaceChildren(dataset && dataset.faces.length
      ? faceGrid(dataset, facesFound(dataset.count, 'source face')) : '');
  }
}

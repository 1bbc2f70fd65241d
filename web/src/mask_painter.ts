// Paint and erase the mask of a target face over its crop: white is face, the rest is replaced by nothing. Saved
// as the face's `painted` mask, which the next XSeg training learns from and applying XSeg keeps.

import { Face, Project, errorText, put } from './api';
import { h, messageBox } from './dom';

function load(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(`cannot load ${src}`));
    image.src = src;
  });
}

export class MaskPainter {
  readonly element: HTMLElement;
  private readonly canvas = h('canvas', { class: 'painter-canvas', 'aria-label': 'Face crop with its mask in red' });
  private readonly mask = document.createElement('canvas');  // the mask in its alpha channel
  private readonly radius = h('input', { id: 'brush-size', type: 'range', min: 2, max: 80, value: 16 });
  private readonly erase = h('input', { id: 'brush-erase', type: 'checkbox' });
  private readonly message = messageBox();
  private image: HTMLImageElement | null = null;
  private face: Face | null = null;
  private drawing = false;
  private opening = 0;  // the latest open(): a slower earlier one must not draw over it

  constructor(
    private readonly saveUrl: (face: Face) => string,
    private readonly saved: (project: Project) => void,
  ) {
    this.element = h('section', { class: 'painter', hidden: true, 'aria-label': 'Mask painter' },
      h('h3', {}, 'Paint the mask'),
      h('p', { class: 'muted' }, 'Red is the face that gets replaced. Paint what is face, erase what covers it (a hand, hair, a microphone).'),
      this.canvas,
      h('div', { class: 'row' },
        h('label', { for: 'brush-size' }, 'Brush'), this.radius,
        h('label', { for: 'brush-erase' }, this.erase, ' Erase'),
        h('button', { type: 'button', class: 'primary', onclick: () => this.save() }, 'Save mask'),
        h('button', { type: 'button', class: 'quiet', onclick: () => this.close() }, 'Close')),
      this.message.element);
    this.canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      this.canvas.setPointerCapture(e.pointerId);
      this.stroke(e);
    });
    this.canvas.addEventListener('pointermove', (e) => this.drawing && this.stroke(e));
    for (const end of ['pointerup', 'pointercancel']) this.canvas.addEventListener(end, () => { this.drawing = false; });
  }

  async open(face: Face): Promise<void> {
    this.message.clear();
    const ticket = ++this.opening;
    this.face = null;
    try {
      const image = await load(face.image);
      const grey = face.mask ? await load(`${face.mask}?t=${Date.now()}`) : null;
      if (ticket !== this.opening) return;
      this.image = image;
      this.face = face;
      const { naturalWidth: width, naturalHeight: height } = image;
      this.canvas.width = this.mask.width = width;
      this.canvas.height = this.mask.height = height;
      const ctx = this.mask.getContext('2d') as CanvasRenderingContext2D;
      ctx.globalCompositeOperation = 'source-over';
      ctx.clearRect(0, 0, width, height);
      if (grey) {
        ctx.drawImage(grey, 0, 0, width, height);
        const pixels = ctx.getImageData(0, 0, width, height);
        for (let i = 0; i < pixels.data.length; i += 4) {
          pixels.data[i + 3] = pixels.data[i];
          pixels.data[i] = pixels.data[i + 1] = pixels.data[i + 2] = 255;
        }
        ctx.putImageData(pixels, 0, 0);
      }
      this.element.hidden = false;
      this.draw();
      this.element.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      this.element.hidden = false;
      this.message.show(`Cannot open the face: ${errorText(error)}`);
    }
  }

  close(): void {
    this.element.hidden = true;
    this.face = null;
  }

  private stroke(event: PointerEvent): void {
    if (!this.face) return;
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * this.canvas.width) / box.width;
    const y = ((event.clientY - box.top) * this.canvas.height) / box.height;
    const ctx = this.mask.getContext('2d') as CanvasRenderingContext2D;
    ctx.globalCompositeOperation = this.erase.checked ? 'destination-out' : 'source-over';
    ctx.fillStyle = '#fff';
    ctx.beginPath();
    ctx.arc(x, y, Number(this.radius.value) * (this.canvas.width / box.width), 0, 2 * Math.PI);
    ctx.fill();
    this.draw();
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.globalCompositeOperation = 'source-over';
    ctx.drawImage(this.image as HTMLImageElement, 0, 0);
    const tint = document.createElement('canvas');
    tint.width = this.mask.width;
    tint.height = this.mask.height;
    const t = tint.getContext('2d') as CanvasRenderingContext2D;
    t.drawImage(this.mask, 0, 0);
    t.globalCompositeOperation = 'source-in';
    t.fillStyle = 'rgba(230, 30, 30, 0.45)';
    t.fillRect(0, 0, tint.width, tint.height);
    ctx.drawImage(tint, 0, 0);
  }

  private async save(): Promise<void> {
    const face = this.face;  // the face painted, even if another opens while this one uploads
    if (!face) return;
    const out = document.createElement('canvas');
    out.width = this.mask.width;
    out.height = this.mask.height;
    const ctx = out.getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.mask, 0, 0);
    const png = await new Promise<Blob>((resolve) => out.toBlob((b) => resolve(b as Blob), 'image/png'));
    try {
      this.saved(await put<Project>(this.saveUrl(face), png));
      this.message.show('Saved. The next XSeg training learns from it.', 'note');
    } catch (error) {
      this.message.show(errorText(error));
    }
  }
}

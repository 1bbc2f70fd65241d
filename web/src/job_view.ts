// A job followed live: the global bar and "Phase 2/5: ..." line, the step line with loss and ETA, the loss chart
// of the training phase running, sample images as they arrive, and the expandable log. Everything is rebuilt from
// the event stream, so a reload (which streams from the first event) shows the same history.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { Job, TelemetryEvent, errorText, post } from './api';
import { h, messageBox } from './dom';

const kTraining = ['identity', 'xseg', 'lora'];

export class JobView {
  readonly element: HTMLElement;
  private readonly bar = h('div', { class: 'bar-fill' });
  private readonly barBox = h('div', {
    class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0,
    'aria-label': 'Progress of the whole job',
  }, this.bar);
  private readonly phase = h('h3', { class: 'phase-line' }, 'Waiting to start…');
  private readonly step = h('p', { class: 'step-line' });
  private readonly jobEta = h('p', { class: 'muted job-eta' });
  private readonly chartBox = h('div', { class: 'chart', 'aria-label': 'Loss chart' });
  private readonly samples = h('div', { class: 'samples' });
  private readonly log = h('pre', { class: 'log' });
  private readonly message = messageBox();
  private readonly controls = h('div', { class: 'row' });
  private chart: uPlot | null = null;
  private chartPhase = '';
  private points: [number[], number[]] = [[], []];
  private source: EventSource | null = null;
  private job: Job | null = null;

  constructor(
    private readonly project: () => string,
    private readonly onEnd: (job: Job) => void,
  ) {
    this.element = h('section', { class: 'job', 'aria-live': 'polite' },
      this.barBox, this.phase, this.step, this.jobEta, this.message.element, this.controls, this.chartBox,
      this.samples, h('details', { class: 'logs' }, h('summary', {}, 'Logs'), this.log));
  }

  follow(job: Job): void {
    this.stop();
    this.job = job;
    this.points = [[], []];
    this.chartPhase = '';
    this.log.textContent = '';
    this.samples.replaceChildren();
    this.showJob(job);
    const source = new EventSource(`/api/v1/jobs/${job.id}/events`);
    source.addEventListener('telemetry', (e) => this.telemetry(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('job', (e) => this.showJob(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('end', (e) => {
      source.close();
      const ended: Job = JSON.parse((e as MessageEvent).data);
      this.showJob(ended);
      this.onEnd(ended);
    });
    this.source = source;
  }

  stop(): void {
    this.source?.close();
    this.source = null;
  }

  private showJob(job: Job): void {
    this.job = job;
    const percent = Math.round(100 * job.progress);
    this.bar.style.width = `${percent}%`;
    this.barBox.setAttribute('aria-valuenow', String(percent));
    this.barBox.dataset.state = job.state;
    this.jobEta.textContent =
      job.state === 'running' && job.eta_text !== null ? `${percent}% · about ${job.eta_text} left` : `${percent}%`;
    if (job.state === 'failed') this.message.show(`The job failed: ${job.error}`);
    else if (job.state === 'cancelled') this.message.show('The job was cancelled.', 'note');
    else if (job.state === 'paused') this.message.show('Paused at a checkpoint. Resume continues from there.', 'note');
    else this.message.clear();
    if (job.state === 'done') this.step.textContent = 'Finished.';
    this.renderControls(job);
  }

  private renderControls(job: Job): void {
    const act = (action: string) => async () => {
      try {
        this.showJob(await post<Job>(`/api/v1/jobs/${job.id}/${action}`));
        if (action === 'resume' && this.job) this.follow(this.job);
      } catch (error) {
        this.message.show(errorText(error));
      }
    };
    const live = job.state === 'running' || job.state === 'queued';
    this.controls.replaceChildren(
      ...(live
        ? [h('button', { type: 'button', onclick: act('pause') }, 'Pause'),
           h('button', { type: 'button', class: 'quiet', onclick: act('cancel') }, 'Cancel')]
        : job.state === 'paused' || job.state === 'failed'
          ? [h('button', { type: 'button', onclick: act('resume') }, 'Resume')]
          : []),
    );
  }

  private telemetry(event: TelemetryEvent): void {
    if (event.kind === 'phase_start') {
      this.phase.textContent = event.text;
      this.step.textContent = '';
    }
    if (event.kind === 'step') {
      this.step.textContent = event.text;
      if (event.loss !== undefined && kTraining.includes(event.phase.name)) this.plot(event);
    } else {
      this.logLine(event);
    }
    if (event.kind === 'sample' && event.message) this.addSample(event.message);
  }

  private plot(event: TelemetryEvent): void {
    if (event.phase.name !== this.chartPhase) {
      this.chartPhase = event.phase.name;
      this.points = [[], []];
    }
    this.points[0].push(this.points[0].length + 1);
    this.points[1].push(event.loss as number);
    if (!this.chart) {
      const width = Math.max(280, Math.min(760, this.chartBox.clientWidth || 760));
      this.chart = new uPlot({
        width, height: 220, title: 'Training loss',
        scales: { x: { time: false } },
        series: [{ label: 'step' }, { label: 'loss', stroke: '#3b5bdb', width: 2 }],
        axes: [{ label: 'step' }, { label: 'loss' }],
      }, this.points, this.chartBox);
    } else {
      this.chart.setData(this.points);
    }
    this.chartBox.dataset.points = String(this.points[0].length);
    this.chartBox.dataset.phase = this.chartPhase;
  }

  private addSample(path: string): void {
    const folder = `/projects/${this.project()}/`;
    const at = path.indexOf(folder);
    if (at < 0 || !/\.(png|jpg|jpeg|webp)$/i.test(path)) return;
    const relative = path.slice(at + folder.length);
    this.samples.append(h('img', { src: `/api/v1/projects/${this.project()}/files/${relative}`, alt: 'Training sample' }));
  }

  private logLine(event: TelemetryEvent): void {
    const time = new Date(event.time * 1000).toLocaleTimeString();
    this.log.textContent += `${time}  ${event.phase.index}/${event.phase.count} ${event.phase.name}  ${event.kind}  ${event.message ?? event.text}\n`;
  }
}

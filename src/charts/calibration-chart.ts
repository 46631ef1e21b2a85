import type { ChartConfiguration } from 'chart.js';
import { InputError } from '../shared/errors.js';
import type { CalibrationChartInput } from './chart-inputs.js';
import type { ChartSpec } from './chart-spec.js';
import { COLOR, FONT, LEGEND_LABELS, buildAxisTitle, buildTitleOptions, requireNumber, toPercent } from './chart-style.js';

/** Near-square, so the diagonal of perfect calibration runs at roughly 45°. */
export const CALIBRATION_CHART_SIZE = { width: 680, height: 640 } as const;

const MIN_RADIUS = 4;
const MAX_RADIUS = 11;

/**
 * Reliability diagram: mean predicted probability per bin (x) against the observed rate (y),
 * both in percent on 0–100 axes (values ×100, so no tick callback is needed), over the dashed
 * diagonal of perfect calibration. Point area grows with the tickets in the bin.
 */
export function buildCalibrationChart(input: CalibrationChartInput): ChartSpec {
  input.bins.forEach((bin, index) => {
    requireNumber(bin.meanPredicted, `bins[${index}].meanPredicted`, 0, 1);
    requireNumber(bin.observedRate, `bins[${index}].observedRate`, 0, 1);
    requireNumber(bin.count, `bins[${index}].count`);
  });
  // An empty bin has no observed rate worth drawing.
  const bins = input.bins.filter((bin) => bin.count > 0).sort((a, b) => a.meanPredicted - b.meanPredicted);
  if (bins.length === 0) {
    throw new InputError('A calibration chart needs at least one bin with tickets.', [{ path: 'bins', message: 'no bin with count > 0' }]);
  }
  const largest = Math.max(...bins.map((bin) => bin.count));
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  // Radius ∝ √count, so the area is proportional to the tickets in the bin.
  const radii = bins.map((bin) => Math.round((MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(bin.count / largest)) * 10) / 10);
  const subtitle = `${total.toLocaleString('en-US')} tickets in ${bins.length} bin${bins.length === 1 ? '' : 's'} · larger points hold more tickets`;
  const axis = (title: string) => ({
    type: 'linear' as const,
    min: 0,
    max: 100,
    title: buildAxisTitle(title),
    ticks: { font: FONT.tick, color: COLOR.text, stepSize: 20 },
    grid: { color: COLOR.grid },
  });

  const config: ChartConfiguration<'scatter', { x: number; y: number }[]> = {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'Perfect calibration',
          data: [
            { x: 0, y: 0 },
            { x: 100, y: 100 },
          ],
          showLine: true,
          borderColor: COLOR.diagonal,
          backgroundColor: COLOR.diagonal,
          borderWidth: 2,
          borderDash: [8, 6],
          pointRadius: 0,
          pointHitRadius: 0,
          pointStyle: 'line',
          order: 2,
        },
        {
          label: 'Model',
          data: bins.map((bin) => ({ x: toPercent(bin.meanPredicted), y: toPercent(bin.observedRate) })),
          showLine: true,
          borderColor: COLOR.modelLine,
          backgroundColor: COLOR.modelLine,
          borderWidth: 2.5,
          pointRadius: radii,
          pointHoverRadius: radii.map((radius) => radius + 2),
          pointStyle: 'circle',
          order: 1,
        },
      ],
    },
    options: {
      layout: { padding: { top: 4, right: 20, bottom: 4, left: 8 } },
      plugins: {
        ...buildTitleOptions(input.title ?? 'Model calibration', subtitle),
        legend: { position: 'top', labels: { ...LEGEND_LABELS, boxHeight: 10 } },
      },
      scales: {
        x: axis('Predicted probability (%)'),
        y: axis('Observed rate (%)'),
      },
    },
  };
  return { kind: 'calibration', config, ...CALIBRATION_CHART_SIZE, backgroundColor: COLOR.background };
}

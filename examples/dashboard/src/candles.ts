import { CandlestickSeries, ColorType, createChart, type CandlestickData, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';

/** A bar as the dashboard's queries and subscriptions select it. */
export interface BarFields {
  openTime: string;
  open: number;
  high: number;
  low: number;
  close: number;
}

export type Candle = CandlestickData<UTCTimestamp>;

/** The chart's point for a bar: its open time in Unix seconds, as lightweight-charts counts time. */
export function candleOf({ openTime, open, high, low, close }: BarFields): Candle {
  return { time: (Date.parse(openTime) / 1000) as UTCTimestamp, open, high, low, close };
}

export interface CandleChart {
  series: ISeriesApi<'Candlestick'>;
  /** Replaces every candle with `bars`, given newest first as the API serves them. */
  show(bars: readonly BarFields[]): void;
  /** The open candle changed, or a new one opened: the chart moves without being redrawn. */
  update(bar: BarFields): void;
  clear(): void;
}

export function createCandleChart(container: HTMLElement): CandleChart {
  const chart = createChart(container, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: '#11161d' }, textColor: '#aab4c0' },
    grid: { vertLines: { color: '#1d252f' }, horzLines: { color: '#1d252f' } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a3441' },
    rightPriceScale: { borderColor: '#2a3441' },
  });
  const series = chart.addSeries(CandlestickSeries, {
    upColor: '#26a69a',
    downColor: '#ef5350',
    borderVisible: false,
    wickUpColor: '#26a69a',
    wickDownColor: '#ef5350',
  });

  return {
    series,
    show(bars) {
      series.setData(bars.map(candleOf).reverse());
      chart.timeScale().fitContent();
    },
    update(bar) {
      const candle = candleOf(bar);
      const last = series.data().at(-1);
      // The subscription sends only the newest candle; lightweight-charts refuses to put one
      // before the last it shows (which a reconnect's reread of the history replaces anyway).
      if (last === undefined || candle.time >= (last.time as number)) series.update(candle);
    },
    clear() {
      series.setData([]);
    },
  };
}

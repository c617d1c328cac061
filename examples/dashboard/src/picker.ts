/** What the chart and the panels beside it show. */
export interface Selection {
  symbol: string;
  timeframe: string;
}

/** A symbol with cached bars, and the timeframes it has them in. */
export interface Series {
  symbol: string;
  timeframes: readonly string[];
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { m: 60, h: 3_600, d: 86_400, w: 604_800, M: 2_592_000 };
const PREFERRED_TIMEFRAME = '1h';

/** `1m` before `1h` before `1d`: timeframes by length, not by spelling. */
function seconds(timeframe: string): number {
  const match = /^(\d+)([mhdwM])$/.exec(timeframe);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : Number.MAX_SAFE_INTEGER;
}

export interface Picker {
  /** Lists `series`; keeps the selection if it is still listed, else picks `preferred` or the first. */
  setSeries(series: readonly Series[], preferred?: Partial<Selection>): Selection | undefined;
  selection(): Selection | undefined;
}

/** The symbol and timeframe selects; `onChange` hears each choice the user makes. */
export function createPicker(symbolSelect: HTMLSelectElement, timeframeSelect: HTMLSelectElement, onChange: (selection: Selection) => void): Picker {
  let timeframesOf = new Map<string, string[]>();

  const fill = (select: HTMLSelectElement, values: readonly string[], chosen: string) => {
    if ([...select.options].map((option) => option.value).join('\n') !== values.join('\n')) {
      select.replaceChildren(...values.map((value) => new Option(value, value)));
    }
    select.value = chosen;
  };

  const choose = (symbol: string | undefined, timeframe: string | undefined): Selection | undefined => {
    const chosenSymbol = symbol !== undefined && timeframesOf.has(symbol) ? symbol : timeframesOf.keys().next().value;
    if (chosenSymbol === undefined) return undefined;
    const timeframes = timeframesOf.get(chosenSymbol)!;
    const chosenTimeframe = [timeframe, PREFERRED_TIMEFRAME].find((wanted) => wanted !== undefined && timeframes.includes(wanted)) ?? timeframes[0]!;
    fill(symbolSelect, [...timeframesOf.keys()], chosenSymbol);
    fill(timeframeSelect, timeframes, chosenTimeframe);
    return { symbol: chosenSymbol, timeframe: chosenTimeframe };
  };

  const selection = (): Selection | undefined =>
    symbolSelect.value === '' ? undefined : { symbol: symbolSelect.value, timeframe: timeframeSelect.value };

  symbolSelect.addEventListener('change', () => {
    const chosen = choose(symbolSelect.value, timeframeSelect.value);
    if (chosen) onChange(chosen);
  });
  timeframeSelect.addEventListener('change', () => {
    const chosen = selection();
    if (chosen) onChange(chosen);
  });

  return {
    setSeries(series, preferred = {}) {
      timeframesOf = new Map(
        [...series]
          .filter((entry) => entry.timeframes.length > 0)
          .sort((a, b) => a.symbol.localeCompare(b.symbol))
          .map((entry) => [entry.symbol, [...entry.timeframes].sort((a, b) => seconds(a) - seconds(b))]),
      );
      const current = selection();
      return choose(current?.symbol ?? preferred.symbol, current?.timeframe ?? preferred.timeframe);
    },
    selection,
  };
}

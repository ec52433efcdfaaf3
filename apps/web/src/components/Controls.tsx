import type { ReactNode } from 'react';

export function Segmented<T extends string>({
  value,
  options,
  onChange,
  disabled,
  testId,
}: {
  value: T;
  options: readonly { value: T; label: ReactNode; title?: string }[];
  onChange: (value: T) => void;
  disabled?: boolean;
  testId?: string;
}) {
  return (
    <div className="segmented" role="radiogroup" data-testid={testId}>
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={o.value === value}
          className={o.value === value ? 'on' : ''}
          title={o.title}
          disabled={disabled}
          data-value={o.value}
          onClick={() => onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function Stepper({
  value,
  min,
  max,
  onChange,
  disabled,
  testId,
}: {
  value: number;
  min: number;
  max: number;
  onChange: (value: number) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const clamp = (n: number) => Math.max(min, Math.min(max, Math.round(n)));
  return (
    <div className="stepper" data-testid={testId}>
      <button
        type="button"
        disabled={disabled === true || value <= min}
        onClick={() => onChange(clamp(value - 1))}
        aria-label="less"
      >
        −
      </button>
      <input
        value={value}
        disabled={disabled}
        inputMode="numeric"
        onChange={(e) => {
          const n = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(n)) {
            onChange(clamp(n));
          }
        }}
      />
      <button
        type="button"
        disabled={disabled === true || value >= max}
        onClick={() => onChange(clamp(value + 1))}
        aria-label="more"
      >
        +
      </button>
    </div>
  );
}

/** A number input that keeps what is being typed and reports only valid numbers. */
export function NumberInput({
  value,
  onChange,
  min,
  max,
  integer,
  placeholder,
  disabled,
  width = 100,
  testId,
}: {
  value: number | undefined;
  onChange: (value: number | undefined) => void;
  min?: number;
  max?: number;
  integer?: boolean;
  placeholder?: string;
  disabled?: boolean;
  width?: number;
  testId?: string;
}) {
  return (
    <input
      className="input mono"
      style={{ width }}
      type="number"
      value={value ?? ''}
      min={min}
      max={max}
      step={integer === true ? 1 : 'any'}
      placeholder={placeholder}
      disabled={disabled}
      data-testid={testId}
      onChange={(e) => {
        if (e.target.value === '') {
          onChange(undefined);
          return;
        }
        const n = Number(e.target.value);
        if (Number.isFinite(n) && (integer !== true || Number.isInteger(n))) {
          onChange(n);
        }
      }}
    />
  );
}

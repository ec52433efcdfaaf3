import { useState } from 'react';
import type { InferredField } from '@tfstream/studio-api';
import type { FieldJson } from '@tfstream/schema';
import { DATA_TYPES, compactField, parseShape, shapeText } from '../lib/job-model';

function ShapeInput({
  shape,
  onChange,
  disabled,
}: {
  shape: FieldJson['shape'];
  onChange: (s: FieldJson['shape']) => void;
  disabled: boolean;
}) {
  const [text, setText] = useState(shapeText(shape));
  const [seen, setSeen] = useState(shape);
  if (seen !== shape) {
    setSeen(shape);
    setText(shapeText(shape));
  }
  const valid = parseShape(text) !== undefined;
  return (
    <input
      className="input small mono"
      style={{ width: 86, borderColor: valid ? undefined : 'var(--error)' }}
      value={text}
      disabled={disabled}
      title="scalar, list, or a fixed tensor shape such as [28, 28]"
      list="tfstream-shapes"
      onChange={(e) => {
        setText(e.target.value);
        const parsed = parseShape(e.target.value);
        if (parsed !== undefined) {
          onChange(parsed);
        }
      }}
    />
  );
}

function Confidence({ value }: { value: number }) {
  const level = value >= 0.95 ? '' : value >= 0.7 ? ' low' : ' bad';
  return (
    <span
      className={`confidence${level}`}
      title={`${Math.round(value * 100)}% of the values fit this type`}
    >
      <span className="bar">
        <i style={{ width: `${Math.round(value * 100)}%` }} />
      </span>
      {Math.round(value * 100)}%
    </span>
  );
}

function Conflicts({ field }: { field: InferredField }) {
  const [open, setOpen] = useState(false);
  if (field.conflicts.length === 0) {
    return <span className="muted">—</span>;
  }
  return (
    <span className="anchor">
      <button className="btn small" style={{ color: 'var(--warn)' }} onClick={() => setOpen(!open)}>
        {field.conflicts.length} conflicting
      </button>
      {open ? (
        <div className="popover" style={{ width: 340 }} onMouseLeave={() => setOpen(false)}>
          <div className="label-text" style={{ marginBottom: 6 }}>
            Values that did not fit {field.field.type}
          </div>
          <table className="data">
            <thead>
              <tr>
                <th className="num">record</th>
                <th>value</th>
                <th>reads as</th>
              </tr>
            </thead>
            <tbody>
              {field.conflicts.slice(0, 20).map((c, i) => (
                <tr key={i}>
                  <td className="num">{c.record}</td>
                  <td className="mono">{JSON.stringify(c.value)}</td>
                  <td>{c.as}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </span>
  );
}

/**
 * The fields of a schema, each with type, shape and nullable to override, and, when the schema
 * was inferred, what the inference saw (confidence, nulls, conflicts, examples).
 */
export function FieldTable({
  fields,
  inferred,
  onChange,
  readOnly,
  testId,
}: {
  fields: readonly FieldJson[];
  inferred?: readonly InferredField[];
  onChange: (fields: FieldJson[]) => void;
  readOnly: boolean;
  testId?: string;
}) {
  const byName = new Map((inferred ?? []).map((f) => [f.name, f]));
  const showInference = byName.size > 0;
  const set = (index: number, patch: Partial<FieldJson>) =>
    onChange(fields.map((f, i) => (i === index ? compactField({ ...f, ...patch }) : f)));
  return (
    <div className="table-wrap" data-testid={testId}>
      <datalist id="tfstream-shapes">
        <option value="scalar" />
        <option value="list" />
      </datalist>
      <table className="data">
        <thead>
          <tr>
            <th>field</th>
            <th>type</th>
            <th>shape</th>
            <th>nullable</th>
            {showInference ? (
              <>
                <th>confidence</th>
                <th className="num">nulls</th>
                <th>conflicts</th>
                <th>examples</th>
              </>
            ) : null}
            {readOnly ? null : <th />}
          </tr>
        </thead>
        <tbody>
          {fields.map((field, index) => {
            const info = byName.get(field.name);
            const overridden =
              info !== undefined &&
              (info.field.type !== field.type ||
                shapeText(info.field.shape) !== shapeText(field.shape) ||
                (info.field.nullable ?? false) !== (field.nullable ?? false));
            return (
              <tr
                key={index}
                data-testid="schema-field"
                data-field={field.name}
                className={info !== undefined && info.conflicts.length > 0 ? 'warn' : ''}
              >
                <td>
                  <input
                    className="input small mono"
                    style={{ width: 150 }}
                    value={field.name}
                    readOnly={readOnly}
                    aria-label="field name"
                    onChange={(e) => set(index, { name: e.target.value })}
                  />
                </td>
                <td>
                  <div className="row tight">
                    <select
                      className="select small"
                      value={field.type}
                      disabled={readOnly}
                      data-testid="field-type"
                      aria-label={`type of ${field.name}`}
                      onChange={(e) => set(index, { type: e.target.value as FieldJson['type'] })}
                    >
                      {DATA_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {t}
                        </option>
                      ))}
                    </select>
                    {overridden ? (
                      <span
                        className="tag"
                        title={`inferred: ${info.field.type} ${shapeText(info.field.shape)}`}
                      >
                        override
                      </span>
                    ) : null}
                  </div>
                </td>
                <td>
                  <ShapeInput
                    shape={field.shape}
                    disabled={readOnly}
                    onChange={(shape) => set(index, { shape })}
                  />
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={field.nullable ?? false}
                    disabled={readOnly}
                    data-testid="field-nullable"
                    aria-label={`${field.name} is nullable`}
                    onChange={(e) => set(index, { nullable: e.target.checked })}
                  />
                </td>
                {showInference ? (
                  info === undefined ? (
                    <td colSpan={4} className="muted">
                      not in the sample
                    </td>
                  ) : (
                    <>
                      <td>
                        <Confidence value={info.confidence} />
                      </td>
                      <td className="num">
                        {info.nulls}
                        <span className="muted"> / {info.count}</span>
                      </td>
                      <td>
                        <Conflicts field={info} />
                      </td>
                      <td
                        className="mono ellipsis"
                        style={{ maxWidth: 220 }}
                        title={info.examples.join('\n')}
                      >
                        {info.examples.slice(0, 3).join(', ')}
                      </td>
                    </>
                  )
                ) : null}
                {readOnly ? null : (
                  <td>
                    <button
                      className="btn ghost icon small"
                      title={`Remove ${field.name}`}
                      onClick={() => onChange(fields.filter((_, i) => i !== index))}
                    >
                      ✕
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
          {fields.length === 0 ? (
            <tr>
              <td colSpan={9} className="muted" style={{ padding: 14, textAlign: 'center' }}>
                No fields. Infer them from sample data, or add them by hand.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {readOnly ? null : (
        <div style={{ padding: 6, borderTop: '1px solid var(--border)' }}>
          <button
            className="btn small ghost"
            onClick={() =>
              onChange([...fields, { name: `field_${fields.length + 1}`, type: 'float32' }])
            }
          >
            + Add field
          </button>
        </div>
      )}
    </div>
  );
}

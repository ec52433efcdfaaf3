import { useCallback, useState } from 'react';
import type { CodecName, CodecPreviewResponse } from '@tfstream/studio-api';
import { Cell } from '../components/Cell';
import { Segmented } from '../components/Controls';
import { Callout, ErrorBox, Spinner } from '../components/Feedback';
import { api, errorText } from '../lib/api';
import { formatBytes } from '../lib/format';
import { inlineSchema } from '../lib/job-model';
import { useCellRunner } from '../state/cell-runners';
import { currentSample, sampleRequest, updateJob, useJobEditor } from '../state/job-store';
import { Icon } from '../components/Icon';

const CODECS: readonly CodecName[] = ['example', 'json', 'csv', 'arrow', 'raw'];
const CODEC_LABEL: Record<CodecName, string> = {
  example: 'tf.Example',
  json: 'JSON',
  csv: 'CSV',
  arrow: 'Arrow IPC',
  raw: 'raw',
};

/** Hex as a dump: offset, 16 bytes a line in groups of 4. */
function HexDump({ hex }: { hex: string }) {
  const lines: { offset: string; bytes: string }[] = [];
  const limit = Math.min(hex.length, 2 * 16 * 16);
  for (let i = 0; i < limit; i += 32) {
    const chunk = hex.slice(i, i + 32);
    const bytes = chunk.match(/.{1,2}/g) ?? [];
    const groups: string[] = [];
    for (let g = 0; g < bytes.length; g += 4) {
      groups.push(bytes.slice(g, g + 4).join(' '));
    }
    lines.push({ offset: (i / 2).toString(16).padStart(4, '0'), bytes: groups.join('  ') });
  }
  return (
    <div className="hex">
      {lines.map((l) => (
        <div key={l.offset}>
          <span className="off">{l.offset} </span>
          {l.bytes}
        </div>
      ))}
      {hex.length > limit ? (
        <div className="off">… {(hex.length - limit) / 2} more bytes</div>
      ) : null}
    </div>
  );
}

function Matrix({ preview, fields }: { preview: CodecPreviewResponse; fields: string[] }) {
  const cell = (codec: CodecName, field: string) =>
    preview.matrix.find((m) => m.codec === codec && m.field === field);
  const codecs = CODECS.filter((c) => preview.matrix.some((m) => m.codec === c));
  const names = fields.length > 0 ? fields : [...new Set(preview.matrix.map((m) => m.field))];
  return (
    <div className="table-wrap" data-testid="codec-matrix">
      <table className="data matrix">
        <thead>
          <tr>
            <th>field</th>
            {codecs.map((c) => {
              const rejected = preview.matrix.some((m) => m.codec === c && m.status === 'rejected');
              const lossy = preview.matrix.some((m) => m.codec === c && m.status === 'lossy');
              return (
                <th key={c} style={{ textAlign: 'center' }}>
                  {CODEC_LABEL[c]}{' '}
                  <span
                    className={
                      rejected ? 'status-rejected' : lossy ? 'status-lossy' : 'status-lossless'
                    }
                    style={{ padding: '0 4px', borderRadius: 3 }}
                  >
                    {rejected ? '✕' : lossy ? '≈' : '✓'}
                  </span>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {names.map((field) => (
            <tr key={field}>
              <td className="mono">{field}</td>
              {codecs.map((c) => {
                const m = cell(c, field);
                if (m === undefined) {
                  return (
                    <td key={c} className="status muted">
                      —
                    </td>
                  );
                }
                return (
                  <td
                    key={c}
                    className={`status status-${m.status}`}
                    title={m.reason ?? m.status}
                    data-testid="codec-cell"
                    data-codec={c}
                    data-status={m.status}
                  >
                    {m.status === 'lossless' ? '✓ ' : m.status === 'lossy' ? '≈ ' : '✕ '}
                    {m.status}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <Reasons preview={preview} />
    </div>
  );
}

/** Why a codec is lossy or rejects a field, once per codec and reason. */
function Reasons({ preview }: { preview: CodecPreviewResponse }) {
  const byCodec = new Map<CodecName, { status: string; reason: string; fields: string[] }[]>();
  for (const m of preview.matrix) {
    if (m.status === 'lossless' || m.reason === undefined) {
      continue;
    }
    // The same reason for many fields differs only in the field's name and type.
    const shape = m.reason.replace(/"[^"]*"/g, '"…"').replace(/\bnot \w+;/, 'not …;');
    const list = byCodec.get(m.codec) ?? [];
    const same = list.find(
      (r) =>
        r.status === m.status &&
        r.reason.replace(/"[^"]*"/g, '"…"').replace(/\bnot \w+;/, 'not …;') === shape,
    );
    if (same === undefined) {
      list.push({ status: m.status, reason: m.reason, fields: [m.field] });
    } else {
      same.fields.push(m.field);
    }
    byCodec.set(m.codec, list);
  }
  if (byCodec.size === 0) {
    return null;
  }
  return (
    <div className="reasons" data-testid="codec-reasons">
      {[...byCodec.entries()].flatMap(([codec, reasons]) =>
        reasons.map((r, i) => (
          <div key={`${codec}${i}`} className="reason">
            <span className={`tag status-${r.status}`}>
              {CODEC_LABEL[codec]} · {r.status}
            </span>
            <span>
              {r.reason}
              {r.fields.length > 1 ? (
                <span className="muted">
                  {' '}
                  (and {r.fields.length - 1} more field{r.fields.length === 2 ? '' : 's'}:{' '}
                  {r.fields.slice(1).join(', ')})
                </span>
              ) : null}
            </span>
          </div>
        )),
      )}
    </div>
  );
}

function Records({ preview }: { preview: CodecPreviewResponse }) {
  const codecs = CODECS.filter((c) => preview.records.some((r) => r.codec === c));
  const [chosen, setChosen] = useState<CodecName | undefined>();
  const codec = chosen !== undefined && codecs.includes(chosen) ? chosen : codecs[0];
  if (codec === undefined) {
    return (
      <Callout kind="warn">No codec accepts this schema, so no record could be encoded.</Callout>
    );
  }
  const records = preview.records.filter((r) => r.codec === codec);
  const allOk = records.every((r) => r.roundTrip);
  return (
    <div>
      <div className="tabs">
        {codecs.map((c) => {
          const ok = preview.records.filter((r) => r.codec === c).every((r) => r.roundTrip);
          return (
            <button key={c} className={c === codec ? 'on' : ''} onClick={() => setChosen(c)}>
              {CODEC_LABEL[c]}{' '}
              <span style={{ color: ok ? 'var(--ok)' : 'var(--error)' }}>{ok ? '✓' : '✕'}</span>
            </button>
          );
        })}
      </div>
      <div className="row small-text" style={{ marginBottom: 8 }}>
        {allOk ? (
          <span style={{ color: 'var(--ok)' }}>✓ every record decodes back to the same values</span>
        ) : (
          <span style={{ color: 'var(--error)' }}>
            ✕ some records do not survive the round trip
          </span>
        )}
      </div>
      {records.map((r) => (
        <div
          className="record-card"
          key={r.index}
          data-testid="codec-record"
          data-roundtrip={String(r.roundTrip)}
        >
          <div className="record-head">
            <b>record {r.index}</b>
            <span className="muted">{formatBytes(r.bytes)}</span>
            <span className="spacer" />
            {r.roundTrip ? (
              <span className="badge finished">✓ round trip</span>
            ) : (
              <span className="badge failed" title={r.mismatch}>
                ✕ {r.mismatch ?? 'mismatch'}
              </span>
            )}
          </div>
          <div>
            <div className="label-text" style={{ marginBottom: 4 }}>
              encoded
            </div>
            <HexDump hex={r.hex} />
          </div>
          <div>
            <div className="label-text" style={{ marginBottom: 4 }}>
              decoded
            </div>
            <pre className="json">{JSON.stringify(r.decoded, null, 2)}</pre>
          </div>
        </div>
      ))}
    </div>
  );
}

export function CodecCell({ focused, number }: { focused: boolean; number: number }) {
  const job = useJobEditor((s) => s.job)!;
  const readOnly = useJobEditor((s) => s.readOnly);
  const sample = useJobEditor((s) => s.sample);
  const preview = useJobEditor((s) => s.codec);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const schema = inlineSchema(job.input.schema);

  const run = useCallback(async () => {
    const state = useJobEditor.getState();
    const current = inlineSchema(state.job?.input.schema);
    if (current === undefined) {
      setError('The codecs need the schema inline: infer it in the cell above first.');
      return;
    }
    const from = currentSample(state.job, state.sample);
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.codecPreview({
        schema: current,
        ...(from === undefined ? {} : sampleRequest(from)),
        limit: 5,
      });
      useJobEditor.setState({ codec: result });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }, []);
  const runCallback = useCallback(() => void run(), [run]);
  useCellRunner('codec', runCallback);

  const source = job.input.source;
  const codecApplies =
    source.kind === 'push' || (source.kind === 'file' && /\.tfrecord(\.gz)?$/i.test(source.path));

  return (
    <Cell
      id="codec"
      number={number}
      icon="⇄"
      title="Codec"
      subtitle={
        codecApplies
          ? `records encoded as ${job.input.codec ?? (source.kind === 'push' ? 'json' : 'example')}`
          : 'how each format carries every field'
      }
      focused={focused}
      actions={
        <button
          className="btn small primary"
          onClick={runCallback}
          disabled={busy}
          data-testid="codec-preview-button"
        >
          {busy ? <Spinner /> : '▶'} Preview
        </button>
      }
      output={
        preview === undefined && error === undefined && !busy ? undefined : (
          <div style={{ display: 'grid', gap: 10 }}>
            <div className="cell-output-label">First records, encoded and decoded back</div>
            <ErrorBox error={error} />
            {busy && preview === undefined ? (
              <div className="row muted">
                <Spinner /> Encoding the first records with every codec…
              </div>
            ) : null}
            {preview !== undefined ? <Records preview={preview} /> : null}
          </div>
        )
      }
    >
      <div style={{ display: 'grid', gap: 12 }}>
        {codecApplies ? (
          <div className="row">
            <span className="label-text">Record codec</span>
            <Segmented
              value={job.input.codec ?? (source.kind === 'push' ? 'json' : 'example')}
              disabled={readOnly}
              options={[
                { value: 'example', label: 'tf.Example' },
                { value: 'json', label: 'JSON' },
                { value: 'raw', label: 'raw' },
              ]}
              onChange={(codec) => updateJob((j) => ({ ...j, input: { ...j.input, codec } }))}
            />
            <span className="muted small-text">
              how each TFRecord payload or pushed record is encoded
            </span>
          </div>
        ) : null}
        {schema === undefined ? (
          <Callout icon={<Icon name="info" />}>
            Infer the schema in the cell above; then preview how each codec carries it.
          </Callout>
        ) : preview === undefined ? (
          <Callout icon={<Icon name="info" />}>
            Preview checks every codec against the {schema.fields.length} fields: lossless, lossy
            (and why) or rejected, and encodes the first{' '}
            {sample === undefined ? 'records' : 'sample records'} to show the bytes and the round
            trip.
          </Callout>
        ) : (
          <Matrix preview={preview} fields={schema.fields.map((f) => f.name)} />
        )}
      </div>
    </Cell>
  );
}

import type { TransferMode } from '../lib/job-model';

/**
 * What a transfer mode means, drawn: records one by one (stream), small batches that leave when
 * full or when the linger expires (micro-batch), or the whole input read first (batch).
 */
export function TransferDiagram({
  mode,
  batchSize,
  lingerMs,
}: {
  mode: TransferMode;
  batchSize: number;
  lingerMs: number;
}) {
  const W = 360;
  const lane = 46;
  const y = 40;
  const records = 14;
  const step = (W - 110) / records;
  const recs = Array.from({ length: records }, (_, i) => 70 + i * step);
  const perBatch = Math.max(2, Math.min(5, Math.round(Math.log2(batchSize + 1))));
  return (
    <svg
      className="diagram"
      viewBox={`0 0 ${W} 96`}
      role="img"
      aria-label={`${mode} transfer`}
      data-testid="transfer-diagram"
    >
      <rect className="box" x="4" y={y - 14} width="50" height="28" rx="5" />
      <text x="29" y={y + 3} textAnchor="middle">
        source
      </text>
      <rect className="box" x={W - 54} y={y - 14} width="50" height="28" rx="5" />
      <text x={W - 29} y={y + 3} textAnchor="middle">
        worker
      </text>
      <line className="lane" x1="58" y1={y} x2={W - 58} y2={y} />
      {mode === 'stream'
        ? recs.map((x, i) => (
            <g key={i}>
              <circle
                className="rec"
                cx={x + 4}
                cy={y}
                r="3.5"
                opacity={0.35 + (i / records) * 0.65}
              />
              {i % 3 === 0 ? (
                <line
                  stroke="var(--accent)"
                  strokeWidth="1"
                  x1={x + 4}
                  y1={y + 7}
                  x2={x + 4}
                  y2={y + 11}
                  opacity={0.5}
                />
              ) : null}
            </g>
          ))
        : null}
      {mode === 'micro-batch'
        ? [0, 1, 2].map((b) => {
            const count = b === 2 ? Math.max(1, perBatch - 2) : perBatch;
            const x = 74 + b * 78;
            const width = count * 9 + 8;
            return (
              <g key={b}>
                <rect className="batch" x={x} y={y - 9} width={width} height="18" rx="4" />
                {Array.from({ length: count }, (_, i) => (
                  <circle key={i} className="rec" cx={x + 8 + i * 9} cy={y} r="3.2" />
                ))}
                <text x={x + width / 2} y={y + 24} textAnchor="middle">
                  {b === 2 ? `${lingerMs} ms linger` : `≤ ${batchSize}`}
                </text>
              </g>
            );
          })
        : null}
      {mode === 'batch' ? (
        <g>
          <rect className="batch" x="66" y={y - 11} width={W - 132} height="22" rx="4" />
          {recs.map((x, i) => (
            <circle key={i} className="rec-b" cx={x + 6} cy={y} r="3.2" />
          ))}
          <text x={W / 2} y={y + 26} textAnchor="middle">
            whole input read first, then batches of {batchSize}
          </text>
        </g>
      ) : null}
      <text x="4" y="12" style={{ fontWeight: 600, fill: 'var(--text-2)' }}>
        {mode === 'stream'
          ? 'one frame per record, sent as soon as it is read'
          : mode === 'micro-batch'
            ? `a batch leaves when ${batchSize} records are in, or ${lingerMs} ms after its first`
            : 'a bounded input, read whole, then handed out'}
      </text>
      <text x="4" y={y + lane} style={{ fontSize: 9 }}>
        {mode === 'stream'
          ? 'lowest latency per record'
          : mode === 'micro-batch'
            ? 'throughput with bounded latency'
            : 'training over a file, epochs'}
      </text>
    </svg>
  );
}

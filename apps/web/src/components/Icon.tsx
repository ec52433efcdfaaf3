/** Small line icons drawn in SVG, so that no font has to have the glyph. */
export function Icon({ name }: { name: 'info' | 'warn' | 'ok' | 'error' | 'lock' }) {
  const common = {
    className: 'icon-svg',
    viewBox: '0 0 16 16',
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 1.5,
    'aria-hidden': true,
  } as const;
  switch (name) {
    case 'info':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.25" />
          <path d="M8 7.2v4M8 4.8v.1" strokeLinecap="round" />
        </svg>
      );
    case 'warn':
      return (
        <svg {...common}>
          <path d="M8 2.2 14.2 13H1.8L8 2.2Z" strokeLinejoin="round" />
          <path d="M8 6.5v3M8 11.3v.1" strokeLinecap="round" />
        </svg>
      );
    case 'ok':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.25" />
          <path d="m5.3 8.2 1.9 1.9 3.6-3.8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      );
    case 'error':
      return (
        <svg {...common}>
          <circle cx="8" cy="8" r="6.25" />
          <path d="m5.8 5.8 4.4 4.4M10.2 5.8l-4.4 4.4" strokeLinecap="round" />
        </svg>
      );
    case 'lock':
      return (
        <svg {...common}>
          <rect x="3.2" y="7" width="9.6" height="6.8" rx="1.5" />
          <path d="M5.4 7V5.2a2.6 2.6 0 0 1 5.2 0V7" />
        </svg>
      );
  }
}

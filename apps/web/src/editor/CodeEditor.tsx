// The model code editor: Monaco with TypeScript intellisense for @tfstream/sdk and tfjs, and
// markers for compile errors and run-time errors on the user's lines. Loaded lazily.
import Editor from '@monaco-editor/react';
import { useEffect, useRef, useState } from 'react';
import type { editor as MonacoEditor } from 'monaco-editor';
import { MODEL_URI, checkModel, loadTypings, monaco } from './monaco-setup';

export interface EditorMarker {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

export interface CodeEditorProps {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly readOnly: boolean;
  readonly dark: boolean;
  /** Markers by owner: `compile` (POST /api/compile), `run` (log events with a source location). */
  readonly markers: Readonly<Record<string, readonly EditorMarker[]>>;
  readonly onRun: () => void;
  readonly onSave: () => void;
  readonly onTypings?: (state: { files: number; error?: string }) => void;
  /** Errors in the code: after the first full check, then whenever the markers change. */
  readonly onDiagnostics?: (count: number) => void;
  /** Set to move the cursor to a line. */
  readonly reveal?: { line: number; column: number; at: number };
}

export default function CodeEditor(props: CodeEditorProps) {
  const editorRef = useRef<MonacoEditor.IStandaloneCodeEditor | null>(null);
  const callbacks = useRef(props);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    callbacks.current = props;
  });

  useEffect(() => {
    let disposed = false;
    /** Error markers on the model; `typescript` ones replaced by `tsErrors` when given. */
    const errors = (tsErrors?: number): number | undefined => {
      const model = monaco.editor.getModel(monaco.Uri.parse(MODEL_URI));
      if (model === null) {
        return undefined;
      }
      const markers = monaco.editor
        .getModelMarkers({ resource: model.uri })
        .filter((m) => m.severity === monaco.MarkerSeverity.Error);
      return tsErrors === undefined
        ? markers.length
        : tsErrors + markers.filter((m) => m.owner !== 'typescript').length;
    };
    void loadTypings().then(async (state) => {
      callbacks.current.onTypings?.(state);
      const tsErrors = await checkModel(state.error === undefined).catch(() => undefined);
      const count = tsErrors === undefined || disposed ? undefined : errors(tsErrors);
      if (count !== undefined) {
        callbacks.current.onDiagnostics?.(count);
      }
    });
    const listener = monaco.editor.onDidChangeMarkers(() => {
      const count = errors();
      if (count !== undefined) {
        callbacks.current.onDiagnostics?.(count);
      }
    });
    return () => {
      disposed = true;
      listener.dispose();
    };
  }, []);

  useEffect(() => {
    const model = monaco.editor.getModel(monaco.Uri.parse(MODEL_URI));
    if (model === null || !ready) {
      return;
    }
    for (const [owner, markers] of Object.entries(props.markers)) {
      monaco.editor.setModelMarkers(
        model,
        `tfstream-${owner}`,
        markers.map((m) => ({
          severity:
            m.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
          message: m.message,
          startLineNumber: m.line,
          startColumn: m.column,
          endLineNumber: m.endLine ?? m.line,
          endColumn:
            m.endColumn ??
            (m.endLine === undefined
              ? model.getLineMaxColumn(Math.min(m.line, model.getLineCount()))
              : m.column + 1),
          source: owner === 'run' ? 'run' : 'tfstream compile',
        })),
      );
    }
  }, [props.markers, ready]);

  useEffect(() => {
    const reveal = props.reveal;
    if (reveal !== undefined && editorRef.current !== null) {
      editorRef.current.revealLineInCenter(reveal.line);
      editorRef.current.setPosition({ lineNumber: reveal.line, column: reveal.column });
      editorRef.current.focus();
    }
  }, [props.reveal]);

  return (
    <Editor
      path={MODEL_URI}
      defaultLanguage="typescript"
      value={props.value}
      theme={props.dark ? 'vs-dark' : 'vs'}
      onChange={(value) => callbacks.current.onChange(value ?? '')}
      loading={null}
      options={{
        readOnly: props.readOnly,
        minimap: { enabled: false },
        fontSize: 13,
        lineHeight: 20,
        fontFamily:
          "ui-monospace, SFMono-Regular, 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace",
        scrollBeyondLastLine: false,
        automaticLayout: true,
        tabSize: 2,
        renderLineHighlight: 'line',
        padding: { top: 10, bottom: 10 },
        fixedOverflowWidgets: true,
        scrollbar: { alwaysConsumeMouseWheel: false },
      }}
      onMount={(editor) => {
        editorRef.current = editor;
        editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.Enter, () =>
          callbacks.current.onRun(),
        );
        editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () =>
          callbacks.current.onRun(),
        );
        editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () =>
          callbacks.current.onSave(),
        );
        setReady(true);
      }}
    />
  );
}

// Data and code before a run: uploads, schema inference, codec preview, compile, typings, health.
import { availableParallelism } from 'node:os';
import { Router } from 'express';
import { isTfjsNodeInstalled } from '@tfstream/sdk/node';
import type {
  CodecPreviewRequest,
  HealthResponse,
  InferSchemaRequest,
  SyntheticSampleRequest,
} from '@tfstream/studio-api';
import { STUDIO_API_VERSION } from '@tfstream/studio-api';
import { compileSource } from '../code/compile-source.js';
import { typings } from '../code/typings.js';
import { codecPreview } from '../data/codec-preview.js';
import { inferSchemaOf, inferSyntheticSample } from '../data/infer-schema.js';
import { saveUpload } from '../data/uploads.js';
import { badRequest } from '../http/errors.js';
import type { ApiContext } from './context.js';
import { bodyOf } from './context.js';

/** The server's version (the workspace's). */
export const SERVER_VERSION = '0.1.0';

export function dataApi(ctx: ApiContext): Router {
  const { config } = ctx;
  const router = Router();

  router.get('/health', (_req, res) => {
    const body: HealthResponse = {
      ok: true,
      version: SERVER_VERSION,
      apiVersion: STUDIO_API_VERSION,
      backend: isTfjsNodeInstalled() ? 'tensorflow' : 'wasm',
      cores: availableParallelism(),
    };
    res.json(body);
  });

  router.post('/uploads', async (req, res) => {
    res.status(201).json(await saveUpload(config.home, req, config.maxUploadBytes));
  });

  router.post('/schema/infer', async (req, res) => {
    res.json(await inferSchemaOf(config.home, bodyOf(req.body) as InferSchemaRequest));
  });

  router.post('/synthetic/sample', async (req, res) => {
    res.json(await inferSyntheticSample(bodyOf(req.body) as unknown as SyntheticSampleRequest));
  });

  router.post('/codec/preview', async (req, res) => {
    const body = bodyOf(req.body);
    if (body.schema === undefined) {
      throw badRequest('schema is required', 'schema');
    }
    res.json(await codecPreview(config.home, body as unknown as CodecPreviewRequest));
  });

  router.post('/compile', async (req, res) => {
    const body = bodyOf(req.body);
    if (typeof body.source !== 'string') {
      throw badRequest('source (the model code) must be a string', 'source');
    }
    res.json(await compileSource(body.source, config.home));
  });

  router.get('/typings', async (req, res) => {
    const bundle = await typings();
    res.setHeader('ETag', bundle.etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === bundle.etag) {
      res.status(304).end();
      return;
    }
    res.type('application/json');
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(bundle.gzip);
    } else {
      res.send(bundle.json);
    }
  });

  return router;
}

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allDashboards, dashboardQueries } from './dashboards.js';

const FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dashboards');
const boards = allDashboards();

describe('the dashboards', () => {
  it('are what deploy/monitoring/dashboards holds (run `npm run dashboards` after changing them)', () => {
    const files = readdirSync(FOLDER).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(boards).sort());
    for (const [file, board] of Object.entries(boards)) {
      expect({ file, json: JSON.parse(readFileSync(path.join(FOLDER, file), 'utf8')) as unknown }).toEqual({
        file,
        json: JSON.parse(JSON.stringify(board)),
      });
    }
  });

  it('have unique uids, and panels with a title, a description and a query on the chosen data source', () => {
    const uids = Object.values(boards).map((b) => b.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const board of Object.values(boards)) {
      const panels = (board.panels ?? []).filter((p) => p.type !== 'row') as {
        title?: string;
        description?: string;
        datasource?: { uid?: string };
      }[];
      expect(panels.length).toBeGreaterThan(3);
      for (const panel of panels) {
        expect({ title: panel.title, described: Boolean(panel.description), datasource: panel.datasource?.uid }).toEqual({
          title: expect.stringMatching(/\S/),
          described: true,
          datasource: '${datasource}',
        });
      }
      expect(dashboardQueries(board).length).toBeGreaterThanOrEqual(panels.length);
    }
  });
});

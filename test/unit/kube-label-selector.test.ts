import { describe, expect, it } from 'vitest';
import { matchesLabelSelector } from '../../src/kube/label-selector.js';

const labels = { app: 'web', tier: 'frontend', track: 'stable' };

describe('matchesLabelSelector', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['app!=api', true],
    ['app!=web', false],
    ['tier in (frontend,backend)', true],
    ['tier in (backend)', false],
    ['track notin (canary)', true],
    ['track notin (stable, canary)', false],
    ['app', true],
    ['!app', false],
    ['!canary', true],
    ['app=web,tier in (frontend),!canary', true],
  ])('%j -> %s', (selector, expected) => {
    expect(matchesLabelSelector(labels, selector)).toBe(expected);
  });
});

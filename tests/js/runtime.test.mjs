// scripts/test.sh runs this suite under Node 20 and under the Node 22 from .tools/, telling
// each run which major version it meant (EXPECT_NODE_MAJOR): a PATH mix-up that silently ran
// both passes on the same Node fails here instead of passing twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const expected = process.env.EXPECT_NODE_MAJOR;

test(
  'runs on the Node version the test script asked for',
  { skip: expected ? false : 'EXPECT_NODE_MAJOR not set' },
  () => {
    assert.equal(process.versions.node.split('.')[0], expected);
  },
);

// The JSON Schema of taskdaemon.toml, built from the option table: the file
// editors read (schema/taskdaemon.schema.json, written at build time by
// scripts/compile-schema.js, which also compiles the validator from it).
import { tomlOptions, type SchemaNode } from '../option-table';

export function buildSchema(): SchemaNode {
  const properties: { [k: string]: SchemaNode } = {};
  for (const o of tomlOptions()) {
    const [table, key] = o.toml.includes('.') ? o.toml.split('.') : [null, o.toml];
    const node = { ...o.schema, description: (o.schema!.description as string | undefined) ?? `${o.help[0]!.toUpperCase()}${o.help.slice(1)}${o.help.endsWith('.') ? '' : '.'}` };
    if (!table) properties[key!] = node;
    else {
      const t = (properties[table] ??= { type: 'object', additionalProperties: false, properties: {} }) as { properties: { [k: string]: SchemaNode } };
      t.properties[key!] = node;
    }
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://taskdaemon.dev/schema/taskdaemon.toml.json',
    title: 'taskdaemon.toml',
    description:
      'Configuration of one taskdaemon daemon. Every command-line flag has a key here; flags beat TASKDAEMON_* environment variables, which beat this file, which beats the defaults.',
    type: 'object',
    additionalProperties: false,
    definitions: {
      duration: {
        description: 'Seconds (a number), or a string such as "500ms", "2.5", "30s", "1m".',
        oneOf: [
          { type: 'number', exclusiveMinimum: 0 },
          { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m)?$' },
        ],
      },
      path: { type: 'string', minLength: 1 },
    },
    properties,
  };
}

import type { SchemaElement } from 'hyparquet-writer';
import type { Column, Scalar, Table } from './catalogue.js';

type Repetition = 'REQUIRED' | 'OPTIONAL';

/** A leaf of a scalar type: strings are UTF8 byte arrays, timestamps milliseconds since the epoch (UTC). */
function leaf(name: string, type: Scalar, repetition: Repetition): SchemaElement {
  switch (type) {
    case 'string':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: repetition };
    case 'int32':
      return { name, type: 'INT32', repetition_type: repetition };
    case 'int64':
      return { name, type: 'INT64', repetition_type: repetition };
    case 'bool':
      return { name, type: 'BOOLEAN', repetition_type: repetition };
    case 'double':
      return { name, type: 'DOUBLE', repetition_type: repetition };
    case 'timestamp':
      return { name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: repetition };
  }
}

const rep = (nullable: boolean): Repetition => (nullable ? 'OPTIONAL' : 'REQUIRED');

/** A column's schema elements, depth first; lists are the standard three-level LIST. */
function columnElements(c: Column): SchemaElement[] {
  if (typeof c.type === 'string') return [leaf(c.name, c.type, rep(c.nullable))];
  const head: SchemaElement[] = [
    { name: c.name, repetition_type: rep(c.nullable), converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  ];
  if (typeof c.type.list === 'string') return [...head, leaf('element', c.type.list, 'REQUIRED')];
  const fields = Object.entries(c.type.list.struct);
  return [...head, { name: 'element', repetition_type: 'REQUIRED', num_children: fields.length }, ...fields.map(([n, f]) => leaf(n, f.type, rep(f.nullable)))];
}

/** The Parquet schema of a catalogue table. */
export function parquetSchema(table: Table): SchemaElement[] {
  return [{ name: 'schema', num_children: table.columns.length }, ...table.columns.flatMap(columnElements)];
}

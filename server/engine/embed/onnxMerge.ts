/**
 * Several converted feature graphs → one ONNX graph on their shared input (an ensemble backbone, e.g.
 * `centernet+ssdlite`). Pure: models in, model out, no file access.
 *
 * Every member must read the same input (`inputName`, same shape) and end in outputs `outputName(0…k−1)`.
 * Inside member m every other value, node and initializer name gets the prefix `m<m>/` so nothing collides;
 * its outputs are renumbered after the previous members' (member 0's blocks first). One ONNX Runtime session
 * then runs all members per batch, sharing the input tensor.
 */
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxValueInfo } from './onnxProto';

export interface MergeOptions {
  /** The shared graph input's name. */
  readonly inputName: string;
  /** Name of feature output i (in each member and in the result). */
  readonly outputName: (i: number) => string;
  readonly producerVersion: string;
}

export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

export function mergeFeatureModels(members: readonly OnnxModel[], opts: MergeOptions): OnnxModel {
  if (members.length === 0) throw new MergeError('no models to merge');
  const first = members[0];
  const input = first.graph.inputs.find((v) => v.name === opts.inputName);
  if (!input) throw new MergeError(`member 0 has no input '${opts.inputName}'`);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxGraph['initializers'][number][] = [];
  const outputs: OnnxValueInfo[] = [];
  members.forEach((model, m) => {
    const g = model.graph;
    if (model.opsetVersion !== first.opsetVersion) throw new MergeError(`member ${m} uses opset ${model.opsetVersion}, member 0 ${first.opsetVersion}`);
    const own = g.inputs.find((v) => v.name === opts.inputName);
    if (g.inputs.length !== 1 || !own || own.shape.join() !== input.shape.join() || own.elemType !== input.elemType) {
      throw new MergeError(`member ${m} must have exactly the input '${opts.inputName}' [${input.shape.join(', ')}]`);
    }
    const outputRename = new Map<string, string>();
    g.outputs.forEach((o, i) => {
      if (o.name !== opts.outputName(i)) throw new MergeError(`member ${m}: output ${i} is '${o.name}', expected '${opts.outputName(i)}'`);
      outputRename.set(o.name, opts.outputName(outputs.length + i));
    });
    const rename = (name: string): string => {
      if (name === '' || name === opts.inputName) return name; // '' = an omitted optional input
      return outputRename.get(name) ?? `m${m}/${name}`;
    };
    for (const n of g.nodes) {
      nodes.push({ ...n, name: `m${m}/${n.name}`, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) });
    }
    for (const t of g.initializers) initializers.push({ ...t, name: rename(t.name) });
    for (const o of g.outputs) outputs.push({ ...o, name: rename(o.name) });
  });
  return {
    irVersion: Math.max(...members.map((x) => x.irVersion)),
    opsetVersion: first.opsetVersion,
    producerName: first.producerName,
    producerVersion: opts.producerVersion,
    graph: {
      name: members.map((x) => x.graph.name).join('+'),
      nodes,
      initializers,
      inputs: [input],
      outputs,
      docString: members.map((x, m) => `member ${m}: ${x.graph.docString ?? x.graph.name}`).join('\n'),
    },
  };
}

import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A JSON value of a synthesized template. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One resource of a stack as CloudFormation will see it (tokens resolved to intrinsics). */
export interface IndexedResource {
  readonly stack: Stack;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: { readonly [key: string]: Json };
  readonly dependsOn: readonly string[];
  readonly node: CfnResource;
}

/** What a pseudo parameter or a literal-only intrinsic becomes when a rule needs a plain string. */
const URL_SUFFIX = 'amazonaws.com';

/** True for a plain JSON object (not an array). */
export function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` as an array (a single value becomes a one-element array, undefined an empty one). */
export function asArray(v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * The whole-app view the rules share during one validation: every stack's resources resolved once
 * (lazily), the deploy order of stacks, and a few lookups. cdk-nag visits one resource at a time; rules
 * that judge a resource against others (its key policy, its subnets' routes, another stack's names)
 * read them here instead of re-resolving the tree for every resource.
 */
export class AppIndex {
  private readonly stacks = new Map<Stack, Map<string, IndexedResource>>();
  private readonly byNode = new Map<CfnResource, IndexedResource>();
  private readonly ancestors = new Map<Stack, Set<Stack>>();
  private allStacks?: Stack[];
  private readonly memos = new Map<string, unknown>();

  constructor(private readonly root: IConstruct) {}

  /** A value computed once per validation (a rule's whole-app registry), under `key`. */
  public memo<T>(key: string, build: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, build());
    return this.memos.get(key) as T;
  }

  /** Every stack of the app (nested in stages too). */
  public stackList(): Stack[] {
    this.allStacks ??= this.root.node.findAll().filter((c): c is Stack => Stack.isStack(c));
    return this.allStacks;
  }

  /** The resources of one stack by logical id. */
  public resources(stack: Stack): Map<string, IndexedResource> {
    let map = this.stacks.get(stack);
    if (map) return map;
    map = new Map();
    for (const c of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(c) || Stack.of(c) !== stack) continue;
      const rendered = stack.resolve((c as unknown as { _toCloudFormation(): Json })._toCloudFormation());
      const resources = isObject(rendered) && isObject(rendered.Resources) ? rendered.Resources : {};
      for (const [logicalId, r] of Object.entries(resources)) {
        if (!isObject(r)) continue;
        const entry: IndexedResource = {
          stack,
          logicalId,
          type: String(r.Type),
          properties: isObject(r.Properties) ? r.Properties : {},
          dependsOn: asArray(r.DependsOn).map(String),
          node: c,
        };
        map.set(logicalId, entry);
        this.byNode.set(c, entry);
      }
    }
    this.stacks.set(stack, map);
    return map;
  }

  /** The indexed form of one L1 resource. */
  public resource(node: CfnResource): IndexedResource | undefined {
    const known = this.byNode.get(node);
    if (known) return known;
    this.resources(Stack.of(node));
    return this.byNode.get(node);
  }

  /** Resources of the given CloudFormation types in one stack. */
  public ofType(stack: Stack, ...types: string[]): IndexedResource[] {
    return [...this.resources(stack).values()].filter((r) => types.includes(r.type));
  }

  /** Resources of the given types in every stack of the app. */
  public ofTypeInApp(...types: string[]): IndexedResource[] {
    return this.stackList().flatMap((s) => this.ofType(s, ...types));
  }

  /** Every stack `stack` waits for before it deploys (its dependencies, transitively). */
  public deployedBefore(stack: Stack): Set<Stack> {
    const known = this.ancestors.get(stack);
    if (known) return known;
    const seen = new Set<Stack>();
    const walk = (s: Stack) => {
      for (const d of s.dependencies) {
        if (seen.has(d)) continue;
        seen.add(d);
        walk(d);
      }
    };
    walk(stack);
    this.ancestors.set(stack, seen);
    return seen;
  }

  /**
   * True when CloudFormation creates `to` before `from` in their stack: `from` names it through
   * Ref/GetAtt/Sub or DependsOn, directly or through other resources.
   */
  public createdBefore(from: IndexedResource, to: IndexedResource): boolean {
    if (from.stack !== to.stack) return false;
    const resources = this.resources(from.stack);
    const seen = new Set<string>();
    const queue = [from.logicalId];
    while (queue.length > 0) {
      const id = queue.pop()!;
      const r = resources.get(id);
      if (!r) continue;
      for (const next of [...r.dependsOn, ...localReferences(r.properties)]) {
        if (next === to.logicalId) return true;
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return false;
  }

  /** The region of a stack, or undefined for a region-agnostic stack. */
  public regionOf(stack: Stack): string | undefined {
    return Token.isUnresolved(stack.region) ? undefined : stack.region;
  }

  /**
   * `value` as a plain string when it is a literal or a join of literals and pseudo parameters
   * (what CDK renders for names and ARNs built from the environment); undefined when it depends on
   * a resource attribute or a parameter.
   */
  public literal(value: Json | undefined, stack: Stack): string | undefined {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (!isObject(value)) return undefined;
    if (typeof value.Ref === 'string') {
      switch (value.Ref) {
        case 'AWS::Partition':
          return Token.isUnresolved(stack.partition) ? 'aws' : stack.partition;
        case 'AWS::Region':
          return this.regionOf(stack);
        case 'AWS::AccountId':
          return Token.isUnresolved(stack.account) ? undefined : stack.account;
        case 'AWS::URLSuffix':
          return URL_SUFFIX;
        default:
          return undefined;
      }
    }
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1].map((p) => this.literal(p, stack));
      return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
    }
    return undefined;
  }
}

/** Logical ids that `value` names through Ref, Fn::GetAtt or Fn::Sub. */
export function localReferences(value: Json | undefined): string[] {
  const out: string[] = [];
  const walk = (v: Json | undefined) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      if (typeof v.Ref === 'string' && !v.Ref.startsWith('AWS::')) out.push(v.Ref);
      const getAtt = v['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') out.push(getAtt[0]);
      else if (typeof getAtt === 'string') out.push(getAtt.split('.')[0]);
      const sub = v['Fn::Sub'];
      const template = Array.isArray(sub) ? sub[0] : sub;
      if (typeof template === 'string') {
        for (const m of template.matchAll(/\$\{([A-Za-z0-9]+)(\.[^}]*)?\}/g)) out.push(m[1]);
      }
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return out;
}

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at, if `value` is exactly one of them. */
export function referencedId(value: Json | undefined): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

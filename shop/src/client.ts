/**
 * Who a request comes from, for fair shares of the admission gate and per-client limits.
 *
 * Trust assumption: the shop is reachable only through its Application Load Balancer (the
 * instances' security group admits the ALB alone), and the ALB runs with its default
 * `routing.http.xff_header_processing.mode` = `append`: it adds the address the request came from
 * as the LAST entry of X-Forwarded-For, after whatever the client sent
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html).
 * So the last hop is the one address a client cannot choose; every earlier entry is the client's
 * own claim and is ignored. Without the header (tests, a local run) the socket's peer address is
 * used. If a proxy that appends its own hop (CloudFront, a corporate proxy in front of the ALB)
 * were ever put in front, every client would share that proxy's address: count hops from the end
 * accordingly before doing so.
 *
 * One address can be many customers (carrier-grade NAT of Korean mobile networks, an office): the
 * limits in shop/src/limits.ts are sized for that.
 */
import type { IncomingMessage } from 'node:http';

/** Longest client id kept (an IPv6 address with a zone fits); longer values are cut. */
const MAX_CLIENT_CHARS = 64;

/** The client of `req`: the last X-Forwarded-For hop, else the peer address. */
export function clientOf(req: Pick<IncomingMessage, 'headers' | 'socket'>): string {
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value) {
    const last = value.slice(value.lastIndexOf(',') + 1).trim();
    if (last) return last.slice(0, MAX_CLIENT_CHARS);
  }
  return (req.socket?.remoteAddress ?? 'unknown').slice(0, MAX_CLIENT_CHARS);
}

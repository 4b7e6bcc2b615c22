import 'reflect-metadata';
import {
  type ArgumentsHost,
  BadRequestException,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpException,
  HttpStatus,
  type INestApplication,
  type MessageEvent,
  Module,
  Param,
  Sse,
  UseFilters,
  UseGuards,
  VersioningType,
} from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { trace } from '@opentelemetry/api';
import type { ConformanceServer } from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import { otel as otelExpress, recordRequestError } from '@otel-http/express';
import { otel as otelFastify } from '@otel-http/fastify';
import { interval, map, type Observable, take } from 'rxjs';

/** What the JSON handlers report: the trace and span they saw as active. */
function activeIds() {
  const span = trace.getActiveSpan();
  return { traceId: span?.spanContext().traceId, spanId: span?.spanContext().spanId };
}

export const SSE_EVENTS = 3;

/** An error of the application's own, which its exception filter answers with 422. */
export class QuotaError extends Error {
  override name = 'QuotaError';
}

@Catch(QuotaError)
class QuotaFilter implements ExceptionFilter {
  catch(_error: QuotaError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse();
    // Express and Fastify replies answer to different method names.
    if (typeof reply.code === 'function') reply.code(422).send({ error: 'quota' });
    else reply.status(422).json({ error: 'quota' });
  }
}

class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller({ path: 'users', version: '1' })
class UsersController {
  @Get(':id')
  user(@Param('id') id: string) {
    return { id, ...activeIds() };
  }

  @Get(':id/posts/:postId')
  post(@Param('id') id: string, @Param('postId') postId: string) {
    return { id, postId, ...activeIds() };
  }
}

@Controller({ path: 'admin', version: '1' })
@UseGuards(DenyGuard)
class AdminController {
  @Get('stats')
  stats() {
    return { secret: true };
  }
}

@Controller({ path: 'errors', version: '1' })
class ErrorsController {
  @Get('conflict/:id')
  conflict(): never {
    throw new HttpException('taken', HttpStatus.CONFLICT);
  }

  @Get('bad')
  bad(): never {
    throw new BadRequestException('no');
  }

  @Get('plain')
  plain(): never {
    throw new TypeError('broken');
  }

  @Get('quota')
  @UseFilters(QuotaFilter)
  async quota(): Promise<never> {
    await Promise.resolve();
    throw new QuotaError('over');
  }
}

@Controller({ path: 'events', version: '1' })
class EventsController {
  @Sse('stream')
  stream(): Observable<MessageEvent> {
    return interval(20).pipe(
      take(SSE_EVENTS),
      map((i) => ({ data: `event-${i}` })),
    );
  }
}

@Module({ controllers: [UsersController, AdminController, ErrorsController, EventsController] })
class AppModule {}

/**
 * Gives every error Nest answers to the request's span before Nest's own handling: a 5xx then
 * carries the error's class as `error.type` and an exception event, as on plain Express and
 * Fastify, where the error reaches the adapter. The README's NestJS section shows this filter.
 */
@Catch()
class OtelExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    recordRequestError(exception);
    super.catch(exception, host);
  }
}

function configure(app: INestApplication): void {
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
  const { httpAdapter } = app.get(HttpAdapterHost);
  app.useGlobalFilters(new OtelExceptionFilter(httpAdapter));
}

async function served(app: INestApplication): Promise<ConformanceServer> {
  await app.listen(0, '127.0.0.1');
  return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() };
}

/** The app on `@nestjs/platform-express`, `app.use(otel())` first. */
export async function startOnExpress(options: OtelHttpOptions): Promise<ConformanceServer> {
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  app.use(otelExpress(options));
  configure(app);
  return served(app);
}

/** The app on `@nestjs/platform-fastify`, `await app.register(otel)` first. */
export async function startOnFastify(options: OtelHttpOptions): Promise<ConformanceServer> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.register(otelFastify, options);
  configure(app);
  return served(app);
}

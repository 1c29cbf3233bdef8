import { Injectable } from '@nestjs/common';
import { CaptchaVerifier } from 'nestjs-captcha';
import type { CreateCommentDto } from './comments.dto';

/** A stored comment. */
export interface Comment {
  id: number;
  text: string;
}

/**
 * The "any service" pattern: no guard; the service verifies the token itself before it writes.
 * `verifyOrThrow` answers as the guard does (403 `captcha_required` / `captcha_invalid`, 503
 * `captcha_unavailable` with `Retry-After` under the global `CaptchaExceptionFilter`).
 */
@Injectable()
export class CommentsService {
  private readonly comments: Comment[] = [];

  constructor(private readonly captcha: CaptchaVerifier) {}

  async create(dto: CreateCommentDto, remoteIp: string | undefined): Promise<Comment> {
    await this.captcha.verifyOrThrow(dto.captcha?.token, { action: 'comment', remoteIp });
    const comment = { id: this.comments.length + 1, text: dto.text };
    this.comments.push(comment);
    return comment;
  }
}

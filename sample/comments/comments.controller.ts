import { Body, Controller, Post, Req } from '@nestjs/common';
import { ClientIpResolver } from 'nestjs-captcha';
import { CreateCommentDto } from './comments.dto';
import { CommentsService, type Comment } from './comments.service';

@Controller('comments')
export class CommentsController {
  constructor(
    private readonly comments: CommentsService,
    private readonly clientIp: ClientIpResolver,
  ) {}

  /** `{ text, captcha: { token } }` → 201; the service answers the CAPTCHA refusals. */
  @Post()
  create(@Body() dto: CreateCommentDto, @Req() request: unknown): Promise<Comment> {
    // The client IP as the guard would see it (trustProxy applied), for the provider's check.
    return this.comments.create(dto, this.clientIp.resolve(request).ip);
  }
}

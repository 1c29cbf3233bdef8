import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';

/**
 * The CAPTCHA part of a comment: the widget's token (ALTCHA: its payload) and, as the browser
 * client sends it, the provider it came from.
 */
export class CommentCaptchaDto {
  @IsOptional()
  @IsString()
  token?: string;

  @IsOptional()
  @IsString()
  provider?: string;
}

/** `{ text, captcha: { token } }`: the service verifies `captcha.token` itself (no guard here). */
export class CreateCommentDto {
  @IsString()
  @Length(1, 2000)
  text!: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CommentCaptchaDto)
  captcha?: CommentCaptchaDto;
}

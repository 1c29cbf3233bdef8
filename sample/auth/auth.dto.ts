import { IsEmail, IsString, Length } from 'class-validator';

export class LoginDto {
  @IsEmail()
  email!: string;

  @IsString()
  @Length(1, 200)
  password!: string;
}

export class SignupDto extends LoginDto {}

export class TokenDto {
  @IsString()
  @Length(1, 200)
  client_id!: string;

  @IsString()
  @Length(1, 200)
  client_secret!: string;
}

#include "format.h"

struct spec {
	bool left;		/* '-' */
	bool zero;		/* '0' */
	int width;
	int longs;		/* number of 'l' (or 'z') */
};

static void put(struct sink *s, char c)
{
	s->put(s, c);
	s->count++;
}

static void pad(struct sink *s, int n, char c)
{
	while (n-- > 0)
		put(s, c);
}

/* Emits sign + digits with the field width of @sp. */
static void put_field(struct sink *s, const struct spec *sp, const char *sign,
		      const char *digits, int ndigits)
{
	int nsign = sign ? 1 : 0;
	int fill = sp->width - ndigits - nsign;

	if (!sp->left && !sp->zero)
		pad(s, fill, ' ');
	if (sign)
		put(s, *sign);
	if (!sp->left && sp->zero)
		pad(s, fill, '0');
	for (int i = 0; i < ndigits; i++)
		put(s, digits[i]);
	if (sp->left)
		pad(s, fill, ' ');
}

static void put_number(struct sink *s, const struct spec *sp, u64 v, unsigned base,
		       bool negative, bool upper)
{
	const char *xdigits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], digits[24];
	int n = 0;

	do {
		tmp[n++] = xdigits[v % base];
		v /= base;
	} while (v);
	for (int i = 0; i < n; i++)
		digits[i] = tmp[n - 1 - i];
	put_field(s, sp, negative ? "-" : NULL, digits, n);
}

static void put_string(struct sink *s, const struct spec *sp, const char *str)
{
	int len = 0;

	if (!str)
		str = "(null)";
	while (str[len])
		len++;
	if (!sp->left)
		pad(s, sp->width - len, ' ');
	for (int i = 0; i < len; i++)
		put(s, str[i]);
	if (sp->left)
		pad(s, sp->width - len, ' ');
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z')
		f++, sp->longs++;
	return f;
}

static u64 unsigned_arg(const struct spec *sp, va_list *ap)
{
	return sp->longs ? va_arg(*ap, u64) : va_arg(*ap, unsigned int);
}

static void convert(struct sink *s, struct spec *sp, char conv, va_list *ap)
{
	s64 sv;

	switch (conv) {
	case 'd':
	case 'i':
		sv = sp->longs ? va_arg(*ap, s64) : va_arg(*ap, int);
		put_number(s, sp, sv < 0 ? -(u64)sv : (u64)sv, 10, sv < 0, false);
		break;
	case 'u':
		put_number(s, sp, unsigned_arg(sp, ap), 10, false, false);
		break;
	case 'x':
	case 'X':
		put_number(s, sp, unsigned_arg(sp, ap), 16, false, conv == 'X');
		break;
	case 'p':
		put(s, '0');
		put(s, 'x');
		put_number(s, sp, (u64)(uintptr_t)va_arg(*ap, void *), 16, false, false);
		break;
	case 's':
		put_string(s, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		put(s, (char)va_arg(*ap, int));
		break;
	default:		/* "%%" and unknown conversions print themselves */
		put(s, conv);
		break;
	}
}

void format(struct sink *s, const char *fmt, va_list ap)
{
	va_list args;

	/* A copy, so that helpers can take the list by pointer on every ABI. */
	va_copy(args, ap);
	while (*fmt) {
		struct spec sp = {0};

		if (*fmt != '%') {
			put(s, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!*fmt)
			break;
		convert(s, &sp, *fmt++, &args);
	}
	va_end(args);
}

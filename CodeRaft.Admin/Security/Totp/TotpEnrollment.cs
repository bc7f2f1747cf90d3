using System.Security.Cryptography;
using QRCoder;

namespace CodeRaft.Admin.Security.Totp;

/// <summary>A new TOTP key, its otpauth URI and QR code, shown to the user until they prove they stored it.</summary>
public sealed record TotpEnrollment(string SecretBase32, string OtpauthUri, string QrCodeSvgDataUri)
{
    public const string Issuer = "CodeRaft";

    /// <summary>The one place the otpauth format lives: <c>otpauth://totp/CodeRaft:&lt;account&gt;?secret=…&amp;issuer=CodeRaft</c>.</summary>
    public static string FormatUri(string account, string secretBase32) =>
        $"otpauth://totp/{Issuer}:{Uri.EscapeDataString(account)}?secret={secretBase32}&issuer={Issuer}";

    /// <summary>160 random bits, the key size RFC 4226 recommends for HMAC-SHA1.</summary>
    public static TotpEnrollment Create(string account)
    {
        var secret = Base32.Encode(RandomNumberGenerator.GetBytes(20));
        var uri = FormatUri(account, secret);
        using var data = QRCodeGenerator.GenerateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(data).GetGraphic(4);
        return new TotpEnrollment(secret, uri, "data:image/svg+xml;base64," + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(svg)));
    }
}

using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// Encrypts ASP.NET Core Data Protection keys (they protect cookies and antiforgery tokens) with the
/// installation's key ring, so the key files in the data directory are useless without the master secret.
/// </summary>
public sealed class KeyRingXmlEncryptor(EncryptionService encryption) : IXmlEncryptor
{
    internal static readonly EncryptionContext Context = new("data_protection", "key_xml", "key");

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var envelope = encryption.Encrypt(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Context);
        return new EncryptedXmlInfo(new XElement("encryptedKey", Convert.ToBase64String(envelope)), typeof(KeyRingXmlDecryptor));
    }
}

/// <summary>Activated by Data Protection through the service provider when it reads a key file.</summary>
public sealed class KeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var encryption = services.GetRequiredService<EncryptionService>();
        var plaintext = encryption.Decrypt(Convert.FromBase64String(encryptedElement.Value), KeyRingXmlEncryptor.Context);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}

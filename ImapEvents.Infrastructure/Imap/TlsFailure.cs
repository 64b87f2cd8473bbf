using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ImapEvents.Core.Mailboxes;
using MailKit.Security;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>
/// A TLS handshake that failed, explained for the administrator who has to fix the mailbox's settings.
/// MailKit's own message is a six-point FAQ that puts certificates first even when the port never spoke TLS.
/// </summary>
internal sealed class TlsFailureException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>
/// The server certificate as .NET judged it during one connection, recorded by the validation callback:
/// MailKit keeps that verdict to itself, and the handshake exception alone cannot tell "no TLS here" from
/// "TLS with a certificate we refused".
/// </summary>
internal sealed class CertificateCheck(string host, bool acceptUntrusted)
{
    /// <summary>Why the server's certificate was refused, as a clause ("it is self-signed"); null when none was.</summary>
    public string? Problem { get; private set; }

    /// <summary>Whether the server got as far as presenting a certificate.</summary>
    public bool Presented { get; private set; }

    /// <summary>
    /// The certificate the server presented, trusted or not: MailKit does not expose it, and its expiry is worth
    /// recording even when the check fails later, or fails on this very certificate.
    /// </summary>
    public ServerCertificate? Certificate { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        Presented = certificate is not null;
        Certificate = certificate is null ? null : Read(certificate);
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        var statuses = chain?.ChainStatus.Select(s => s.Status).ToList() ?? [];
        Problem = TlsFailureText.CertificateProblem(errors, statuses, certificate is null ? null : CertificateFacts.Of(certificate), host);
        // The administrator chose this for the mailbox, and the UI shows it as a warning.
        return acceptUntrusted;
    }

    /// <summary>Reading it must never decide the handshake: a certificate .NET cannot take apart is simply not recorded.</summary>
    private static ServerCertificate? Read(X509Certificate certificate)
    {
        try
        {
            return ServerCertificate.Of(certificate);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}

/// <summary>What a message about a certificate needs from it.</summary>
internal sealed record CertificateFacts(string IssuedFor, bool SelfSigned, DateTime NotBefore, DateTime NotAfter)
{
    public static CertificateFacts Of(X509Certificate certificate)
    {
        var full = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return new CertificateFacts(
                full.GetNameInfo(X509NameType.DnsName, forIssuer: false),
                full.SubjectName.RawData.AsSpan().SequenceEqual(full.IssuerName.RawData),
                full.NotBefore.ToUniversalTime(),
                full.NotAfter.ToUniversalTime());
        }
        finally
        {
            if (!ReferenceEquals(full, certificate))
            {
                full.Dispose();
            }
        }
    }
}

internal static class TlsFailureText
{
    public const string AcceptOption = "Accept untrusted certificate";

    /// <summary>The words for a failed handshake with the mailbox's server, from what the certificate check saw.</summary>
    public static string Explain(Mailbox mailbox, CertificateCheck check, SslHandshakeException exception)
    {
        var endpoint = $"{mailbox.ServerName}:{mailbox.ServerPort}";
        if (check.Problem is { } problem)
        {
            return $"The certificate of {endpoint} was not trusted: {problem}. If you trust this server anyway, tick {AcceptOption} for this mailbox.";
        }

        // No certificate was refused. A TLS library error underneath (an inner exception of its own)
        // means the server did speak TLS but agreed on no version or cipher; otherwise the bytes that
        // came back were not TLS at all, typically a plain IMAP greeting.
        var library = exception.InnerException?.InnerException;
        if (!check.Presented && library is null && mailbox.Security == ConnectionSecurity.SslOnConnect)
        {
            return $"{endpoint} did not answer with TLS: this port probably expects a plain or STARTTLS connection. " +
                "Choose STARTTLS or None, or use the server's TLS port (usually 993).";
        }

        var reason = (library ?? exception.InnerException)?.Message is { Length: > 0 } text ? $" ({text.TrimEnd('.')})" : "";
        return $"The TLS handshake with {endpoint} failed{reason}. " +
            "The server may offer only TLS versions or ciphers this machine does not allow; check Connection Security and the port.";
    }

    /// <summary>Why a certificate was refused, as a clause: "it is self-signed", "it is issued for a.example, not b.example".</summary>
    public static string CertificateProblem(SslPolicyErrors errors, IReadOnlyCollection<X509ChainStatusFlags> chain, CertificateFacts? certificate, string host)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "the server sent no certificate";
        }

        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"it is issued for {certificate.IssuedFor}, not {host}");
        }

        if (chain.Any(s => s.HasFlag(X509ChainStatusFlags.UntrustedRoot) || s.HasFlag(X509ChainStatusFlags.PartialChain)))
        {
            reasons.Add(certificate.SelfSigned ? "it is self-signed" : "it is not signed by an authority this machine trusts");
        }

        if (chain.Any(s => s.HasFlag(X509ChainStatusFlags.NotTimeValid)))
        {
            reasons.Add($"it is valid only from {certificate.NotBefore:yyyy-MM-dd} to {certificate.NotAfter:yyyy-MM-dd}");
        }

        if (chain.Any(s => s.HasFlag(X509ChainStatusFlags.Revoked)))
        {
            reasons.Add("it was revoked");
        }

        if (chain.Any(s => s.HasFlag(X509ChainStatusFlags.RevocationStatusUnknown) || s.HasFlag(X509ChainStatusFlags.OfflineRevocation)))
        {
            reasons.Add("whether it was revoked could not be checked");
        }

        if (reasons.Count == 0)
        {
            var other = chain.Where(s => s != X509ChainStatusFlags.NoError).Select(s => s.ToString()).Distinct().ToList();
            reasons.Add(other.Count == 0 ? "its chain did not validate" : $"its chain did not validate ({string.Join(", ", other)})");
        }

        return string.Join(", and ", reasons);
    }
}

using Microsoft.AspNetCore.Identity;

namespace ImapEvents.Infrastructure.Identity;

/// <summary>A validation message for one form field, or for the whole form when Field is null.</summary>
public sealed record FieldError(string? Field, string Message);

public sealed record OperationResult(IReadOnlyList<FieldError> Errors)
{
    public static readonly OperationResult Success = new([]);

    public bool Succeeded => Errors.Count == 0;

    public static OperationResult Fail(string? field, string message) => new([new FieldError(field, message)]);

    /// <summary>Places Identity's messages next to the field they are about.</summary>
    public static OperationResult FromIdentity(IdentityResult result, string emailField = "Email", string passwordField = "Password") =>
        result.Succeeded
            ? Success
            : new(result.Errors.Select(e => new FieldError(FieldOf(e.Code, emailField, passwordField), e.Description)).ToList());

    private static string? FieldOf(string code, string emailField, string passwordField) =>
        code.StartsWith("Password", StringComparison.Ordinal) ? passwordField
        : code is "DuplicateUserName" or "DuplicateEmail" or "InvalidEmail" or "InvalidUserName" ? emailField
        : null;
}

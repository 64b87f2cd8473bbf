using ImapEvents.Core.Actions;
using ImapEvents.Core.Email;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;

namespace ImapEvents.Tests.Core;

public sealed class ActionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly ImapEvent LoginFailed = new()
    {
        Id = Guid.NewGuid(),
        Type = ImapEventType.LoginFailed,
        OccurredAt = new DateTimeOffset(2026, 11, 27, 3, 4, 5, TimeSpan.Zero),
        MailboxName = "Support & Sales",
        ServerName = "imap.example.com",
        ServerPort = 993,
        LoginUsername = "support@example.com",
        Ssl = true,
        ErrorMessage = "Authentication failed.",
    };

    private static readonly TemplateValues Values = new(LoginFailed, "Page on-call", 3);

    [Fact]
    public void Template_FillsEveryPlaceholder()
    {
        var text = EventTemplate.Render(string.Join("|", EventTemplate.Placeholders.Select(p => "{" + p + "}")), Values);

        Assert.Equal(
            "IMAP Login Failed|imap.example.com|993|support@example.com|true|2026-11-27T03:04:05Z|Authentication failed.|Support & Sales|Page on-call|3"
            + "||1|||Support & Sales|1",
            text);
    }

    [Fact]
    public void Template_DoubledBracesAreLiteral_AndEncodingAppliesToValuesOnly()
    {
        Assert.Equal("{x} Support & Sales}", EventTemplate.Render("{{x}} {MailboxName}}", Values));
        Assert.Equal("https://x.test/?m=Support%20%26%20Sales&p=993", EventTemplate.Render("https://x.test/?m={MailboxName}&p={ServerPort}", Values, Uri.EscapeDataString));
    }

    [Theory]
    [InlineData("{Server}", "{Server} is not a placeholder")]
    [InlineData("{servername}", "{servername} is not a placeholder")]
    [InlineData("at {ServerName", "A brace is not closed")]
    [InlineData("{Error {RuleName}", "A brace is not closed")]
    public void Template_UnknownOrUnclosedPlaceholders_AreProblems(string template, string expected)
    {
        Assert.StartsWith(expected, EventTemplate.Problem(template), StringComparison.Ordinal);
    }

    [Fact]
    public void Template_WellFormed_HasNoProblem()
    {
        Assert.Null(EventTemplate.Problem(EventTemplate.DefaultMessage));
        Assert.Null(EventTemplate.Problem("literal {{braces}} and {EventType}"));
        Assert.Null(EventTemplate.Problem(null));
    }

    [Fact]
    public void MaxFrequency_FirstFiringDelivers_ThenCountsUntilTheWindowEnds()
    {
        var window = TimeSpan.FromMinutes(15);
        var first = MaxFrequency.Decide(default, window, Now);
        var second = MaxFrequency.Decide(first.Next, window, Now.AddMinutes(1));
        var third = MaxFrequency.Decide(second.Next, window, Now.AddMinutes(14.9));
        var afterWindow = MaxFrequency.Decide(third.Next, window, Now.AddMinutes(15));
        var nextWindow = MaxFrequency.Decide(afterWindow.Next, window, Now.AddMinutes(20));

        Assert.True(first.Deliver);
        Assert.Equal(0, first.SuppressedBefore);
        Assert.False(second.Deliver);
        Assert.False(third.Deliver);
        Assert.Equal(new ThrottleState(Now, 2), third.Next);
        Assert.True(afterWindow.Deliver);
        Assert.Equal(2, afterWindow.SuppressedBefore);
        Assert.Equal(new ThrottleState(Now.AddMinutes(15), 0), afterWindow.Next);
        Assert.False(nextWindow.Deliver);
    }

    [Fact]
    public void MaxFrequency_TheReadmeStatesTheRangeValidationEnforces()
    {
        static bool Valid(TimeSpan span)
        {
            var action = RuleAction.Create(ActionKind.LogToFile);
            action.FileName = "range.log";
            action.MaxFrequency = span;
            var errors = new Dictionary<string, string>();
            ActionValidation.Validate(0, action, errors);
            return !errors.ContainsKey(ActionValidation.Key(0, ActionValidation.MaxFrequencyLabel));
        }

        // The range validation enforces, at both ends.
        Assert.True(Valid(TimeSpan.FromMinutes(1)));
        Assert.False(Valid(TimeSpan.FromSeconds(59)));
        Assert.True(Valid(TimeSpan.FromDays(7)));
        Assert.False(Valid(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1)));
        var readme = File.ReadAllText(Path.Combine(ImapEvents.Tests.Infrastructure.DockerComposeTests.RepositoryRoot(), "README.md"));
        Assert.Contains("at most once per window (whole minutes from 1 minute to 7 days;", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxFrequency_None_DeliversEveryFiring()
    {
        var state = new ThrottleState(Now, 0);
        for (var i = 0; i < 3; i++)
        {
            var decision = MaxFrequency.Decide(state, null, Now.AddSeconds(i));
            Assert.True(decision.Deliver);
            state = decision.Next;
        }
    }

    [Fact]
    public void MaxFrequency_AClockBehindTheWindowsOpener_StaysInsideTheWindow()
    {
        var decision = MaxFrequency.Decide(new ThrottleState(Now, 0), TimeSpan.FromMinutes(5), Now.AddSeconds(-3));

        Assert.False(decision.Deliver);
    }

    [Fact]
    public void LogToFile_HasAMaxFrequencyByDefault_WebCallsDoNot()
    {
        Assert.Equal(TimeSpan.FromMinutes(15), RuleAction.Create(ActionKind.LogToFile).MaxFrequency);
        Assert.Null(RuleAction.Create(ActionKind.CallWebhook).MaxFrequency);
        Assert.Null(RuleAction.Create(ActionKind.CallWebPage).MaxFrequency);
    }

    [Theory]
    [InlineData(null, "Enter the address to call")]
    [InlineData("example.com/hook", "Enter a full http:// or https:// address")]
    [InlineData("ftp://example.com/hook", "Enter a full http:// or https:// address")]
    [InlineData("https://example.com/?s={Server}", "{Server} is not a placeholder")]
    [InlineData("https://example.com/?s={ServerName}", null)]
    [InlineData("http://127.0.0.1:8080/hook", null)]
    public void Urls_AreChecked_WithTemplatesFilledIn(string? url, string? expected)
    {
        var problem = ActionValidation.UrlProblem(url);

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("../escape.log")]
    [InlineData("/etc/passwd")]
    [InlineData("logs/imap.log")]
    [InlineData("logs\\imap.log")]
    [InlineData(".hidden")]
    [InlineData("imap events.log")]
    [InlineData("")]
    public void FileNames_ThatCouldLeaveTheLogDirectory_OrAreOdd_AreRefused(string fileName)
    {
        Assert.NotNull(ActionValidation.FileNameProblem(fileName));
    }

    [Fact]
    public void APlainFileName_IsAccepted()
    {
        Assert.Null(ActionValidation.FileNameProblem("imap-events_2026.log"));
    }

    [Fact]
    public void ARule_NeedsAnAction_AndEachActionsErrorsNameItsPlace()
    {
        var rule = new EventRule { Name = "r", EventType = ImapEventType.LoginFailed };
        Assert.Equal("Add at least one action: what should happen when the rule matches.", RuleValidation.Validate(rule)[RuleValidation.Actions]);

        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = "ok.log";
        log.MaxFrequency = TimeSpan.FromSeconds(30);
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = "https://hooks.example.com/imap";
        rule.Actions.AddRange([log, hook]);

        var errors = RuleValidation.Validate(rule);

        Assert.Equal(["Action 1: Max Frequency", "Action 2: Signing Secret"], errors.Keys.Order(StringComparer.Ordinal));
        hook.NewSecret = "not base64!";
        Assert.StartsWith("Use a secret of the form whsec_", RuleValidation.Validate(rule)["Action 2: Signing Secret"], StringComparison.Ordinal);
        hook.NewSecret = WebhookSecrets.Generate();
        log.MaxFrequency = TimeSpan.FromMinutes(1);
        Assert.Empty(RuleValidation.Validate(rule));
    }

    [Fact]
    public void LogLines_MustStayOneLine()
    {
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = "a.log";
        log.Message = "{EventType}\n{Error}";
        var errors = new Dictionary<string, string>();

        ActionValidation.Validate(0, log, errors);

        Assert.Equal("One line per firing: remove the line breaks.", errors["Action 1: Message"]);
    }

    [Fact]
    public void WebhookSignature_MatchesTheStandardWebhooksTestVector()
    {
        // The example published with the Standard Webhooks specification.
        var signature = WebhookSigner.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}""");

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void GeneratedSecrets_AreValidAndDifferent()
    {
        var a = WebhookSecrets.Generate();
        var b = WebhookSecrets.Generate();

        Assert.Null(ActionValidation.WebhookSecretProblem(a));
        Assert.NotEqual(a, b);
        Assert.Equal(32, ActionValidation.WebhookSecretKey(a).Length);
    }

    [Theory]
    [InlineData("oncall@example.com", null)]
    [InlineData("oncall@example.com, it@example.com;\nops@example.com", null)]
    [InlineData("", "Enter at least one address")]
    [InlineData("oncall@example.com, nobody", "\"nobody\" is not an email address")]
    [InlineData("On Call <oncall@example.com>", "\"On Call <oncall@example.com>\" is not an email address")]
    [InlineData("oncall@localhost", "\"oncall@localhost\" is not an email address")]
    public void Recipients_AreCheckedOneByOne(string recipients, string? expected)
    {
        var problem = EmailAddresses.ListProblem(recipients);

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.StartsWith(expected, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SendEmail_NeedsRecipients_AndOneLineSubject_AndIsThrottledByDefault()
    {
        var email = RuleAction.Create(ActionKind.SendEmail);
        email.Subject = "{EventType}\nsecond line";
        email.Message = "{Nope}";
        var errors = new Dictionary<string, string>();

        ActionValidation.Validate(0, email, errors);

        Assert.Equal(TimeSpan.FromMinutes(15), email.MaxFrequency);
        Assert.Equal(["Action 1: Body", "Action 1: Recipients", "Action 1: Subject"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Null(EventTemplate.Problem(EventTemplate.DefaultEmailBody));
        Assert.Null(EventTemplate.Problem(EventTemplate.DefaultEmailSubject));
    }

    [Fact]
    public void TheStoredSmtpPassword_StaysWithItsServerAndUsername_Only()
    {
        var stored = new SmtpSettings { Host = "smtp.example.com", Port = 587, Username = "relay", ProtectedPassword = "ciphertext", FromAddress = "a@example.com" };
        SmtpSettings Draft(string host, string? username) => new() { Host = $" {host} ", Port = 587, Username = username, FromAddress = "a@example.com " };

        var same = SmtpSettingsValidation.Revise(stored, Draft("SMTP.example.com", "relay"), null);
        var elsewhere = SmtpSettingsValidation.Revise(stored, Draft("smtp.elsewhere.example", "relay"), null);
        var retyped = SmtpSettingsValidation.Revise(stored, Draft("smtp.elsewhere.example", "relay"), "new-password");
        var noSignIn = SmtpSettingsValidation.Revise(stored, Draft("smtp.example.com", " "), null);

        Assert.Empty(same.Errors);
        Assert.Equal("ciphertext", same.Settings.ProtectedPassword);
        Assert.Equal("SMTP.example.com", same.Settings.Host);
        Assert.Equal(SmtpSettingsValidation.PasswordForAnotherServer, elsewhere.Errors["Password"]);
        Assert.Null(elsewhere.Settings.ProtectedPassword);
        Assert.Empty(retyped.Errors);
        Assert.Null(retyped.Settings.ProtectedPassword);
        Assert.Empty(noSignIn.Errors);
        Assert.Null(noSignIn.Settings.Username);
        Assert.Null(noSignIn.Settings.ProtectedPassword);
    }
}

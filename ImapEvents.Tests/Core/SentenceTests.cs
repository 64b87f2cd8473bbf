using ImapEvents.Core.Text;

namespace ImapEvents.Tests.Core;

public sealed class SentenceTests
{
    [Theory]
    [InlineData("Authentication failed.", "Authentication failed.")]
    [InlineData("Connection refused", "Connection refused.")]
    [InlineData("Is the port right?", "Is the port right?")]
    [InlineData("Stop!", "Stop!")]
    [InlineData("It went on…", "It went on…")]
    [InlineData("Authentication failed.  \n", "Authentication failed.")]
    [InlineData("(see the log)", "(see the log).")]
    [InlineData("", "")]
    public void End_AddsAPeriodOnlyWhenTheTextHasNoClosingMarkYet(string text, string expected) =>
        Assert.Equal(expected, Sentence.End(text));
}

using ParameterSaliency.Runtime;

namespace ParameterSaliency.Tests;

/// <summary>Which oneDNN ISA cap runs: the user's, else none; and the CLI says so.</summary>
public class CpuKernelPolicyTests
{
    [Fact]
    public void The_users_ONEDNN_MAX_CPU_ISA_wins_and_without_it_no_cap_is_set()
    {
        var (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, "cpu", environment: new() { ["ONEDNN_MAX_CPU_ISA"] = "AVX2" });
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("oneDNN ISA cap: AVX2 (Environment)", stdout);
        (exitCode, stdout, stderr) = Workbook.Run(CommandLineTests.Saliency, "cpu", environment: new() { ["ONEDNN_MAX_CPU_ISA"] = "", ["DNNL_MAX_CPU_ISA"] = "" });
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("oneDNN ISA cap: ALL (Default)", stdout);
        Assert.Contains("caps this processor supports (ONEDNN_MAX_CPU_ISA): ALL", stdout);
    }
}

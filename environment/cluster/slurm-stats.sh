#!/usr/bin/env bash
# μ and σ of a model over a data set on a Slurm cluster: one array task per shard, then the merge as a job that starts
# when every shard has succeeded. Submit from the repository root (a file system the nodes share):
#
#   environment/cluster/slurm-stats.sh --model M --dataset D --out S.safetensors [--shards N] [--limit N] [-- OPTIONS]
#
# OPTIONS go to every 'saliency stats' task, e.g. for ImageNet with a PyTorch checkpoint:
#   -- --arch resnet50 --normalize imagenet --resize 256 --crop 224 --skip-bad
# Each task's resources come from the environment: SALIENCY_SLURM_CPUS (default 4; the task runs one libtorch thread per
# core), SALIENCY_SLURM_MEM (default 48G; empty: the partition's default), SALIENCY_SLURM_TIME (default 12:00:00),
# SALIENCY_SLURM_PARTITION (default: the cluster's). A task that is killed (time limit, preemption) resumes from its
# shard's .partial checkpoint when Slurm requeues it. Prints the two job ids as "array JOB" and "merge JOB".
set -euo pipefail
model="" dataset="" out="" shards=16 limit=""
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --dataset) dataset="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --shards) shards="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "slurm-stats: unknown option '$1' (pass options of 'saliency stats' after --)" >&2; exit 2 ;;
  esac
done
[ -n "$model" ] && [ -n "$dataset" ] && [ -n "$out" ] || { echo "usage: slurm-stats.sh --model M --dataset D --out S.safetensors [--shards N] [--limit N] [-- OPTIONS]" >&2; exit 2; }
command -v sbatch >/dev/null || { echo "slurm-stats: sbatch not found: run this on a Slurm submit host" >&2; exit 3; }

out="$(realpath -m "$out")"
shard_dir="$(dirname "$out")/$(basename "$out" .safetensors).shards"
logs="$(dirname "$out")/logs"
mkdir -p "$shard_dir" "$logs"
dotnet build lib/ParameterSaliency.Cli -c Release -v quiet -nologo >/dev/null
saliency="dotnet $PWD/lib/ParameterSaliency.Cli/bin/Release/net10.0/saliency.dll"
common=(--model "$(realpath "$model")" --dataset "$dataset")
[ -z "$limit" ] || common+=(--limit "$limit")
common+=("$@")
quoted="$(printf ' %q' "${common[@]}")"

resources=(--cpus-per-task="${SALIENCY_SLURM_CPUS:-4}" --time="${SALIENCY_SLURM_TIME:-12:00:00}")
[ -z "${SALIENCY_SLURM_MEM-48G}" ] || resources+=(--mem="${SALIENCY_SLURM_MEM-48G}")
[ -z "${SALIENCY_SLURM_PARTITION:-}" ] || resources+=(--partition="$SALIENCY_SLURM_PARTITION")

array_job=$(sbatch --parsable --requeue --array=1-"$shards" "${resources[@]}" \
  --output="$logs/stats-%A_%a.log" --job-name=saliency-stats \
  --wrap="OMP_NUM_THREADS=\$SLURM_CPUS_PER_TASK $saliency stats$quoted --shard \$SLURM_ARRAY_TASK_ID/$shards --out $shard_dir/shard-\$SLURM_ARRAY_TASK_ID.safetensors")
echo "array $array_job"

merge_job=$(sbatch --parsable --dependency=afterok:"$array_job" --cpus-per-task=1 --time=00:30:00 \
  --output="$logs/stats-merge-%j.log" --job-name=saliency-stats-merge \
  --wrap="$saliency stats merge $shard_dir/shard-*.safetensors --out $out")
echo "merge $merge_job"
echo "submitted $shards shards as job $array_job; the merge into $out (job $merge_job) follows when all succeed" >&2

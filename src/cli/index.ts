import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../core/errors.js';
import { runBacktestCommand } from './backtest.js';
import { registerSimulateCommand } from './simulate.js';
import { registerIngestCommand } from './ingest.js';
import { registerCalendarCommand } from './calendar.js';
import { CommandError } from './command-error.js';
import { registerForecastCommand } from './forecast.js';
import { registerStatusCommand } from './status.js';
import { registerModelsCommand } from './models.js';

/**
 * The `prescale` command line. Exit codes: 0 success, 1 bad input data or a failure while running,
 * 2 bad arguments (the message names the flag). The commands that talk to a running Prescale (calendar,
 * status, forecast) exit 1 when it is unreachable or fails and 2 when it refuses the request (a 4xx).
 */

export const EXIT_BAD_ARGS = 2;
export const EXIT_FAILURE = 1;

/** Errors about a flag carry it as InputError.where ("--horizon"). */
function isFlagError(error: unknown): error is InputError {
  return error instanceof InputError && typeof error.where === 'string' && error.where.startsWith('--');
}

export function buildProgram(): Command {
  const program = new Command('prescale')
    .description('Predictive scaling for Kubernetes: forecasting tools, and the client of a running Prescale (calendar, status, forecast)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('backtest')
    .description(
      'Rolling-origin backtest of shared/data/EVALUATION.md on a timestamp,value CSV: prints MASE, sMAPE, ' +
        'coverage and fit time per model and writes the forecasts of the chosen model (auto when listed, else the first).',
    )
    .requiredOption('--series <file>', 'timestamp,value CSV (ISO-8601 timestamps)')
    .addOption(new Option('--horizon <h>', 'forecast horizon').choices(['1h', '1d']).makeOptionMandatory())
    .option('--models <list>', 'comma-separated: hw, lstm, mstl, snaive, theta, auto (auto = the service champion)', 'auto')
    .requiredOption('--out <file>', 'forecast CSV to write: origin,timestamp,yhat,lo80,hi80,lo95,hi95')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (opts: { series: string; horizon: string; models: string; out: string; progress: boolean }) => {
      const bar = opts.progress
        ? new cliProgress.SingleBar(
            { stream: process.stderr, format: 'backtest [{bar}] {percentage}% | {label}', hideCursor: false, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(1000, 0, { label: 'reading' });
      try {
        const { table, chosen } = await runBacktestCommand({
          ...opts,
          onProgress: (fraction, label) => bar?.update(Math.round(fraction * 1000), { label }),
        });
        bar?.stop();
        process.stdout.write(`${table}\n\nforecasts of ${chosen} written to ${opts.out}\n`);
      } finally {
        bar?.stop();
      }
    });
  registerSimulateCommand(program);
  registerIngestCommand(program);
  registerCalendarCommand(program);
  registerStatusCommand(program);
  registerForecastCommand(program);
  registerModelsCommand(program);
  return program;
}

/** Runs the program and returns the exit code (never calls process.exit itself). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; usage errors were already printed by it.
      return error.exitCode === 0 ? 0 : EXIT_BAD_ARGS;
    }
    if (error instanceof CommandError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (isFlagError(error)) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_BAD_ARGS;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));

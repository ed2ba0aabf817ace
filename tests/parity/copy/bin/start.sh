#!/bin/sh
exec echo started
